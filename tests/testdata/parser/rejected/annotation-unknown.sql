-- +goose Up
-- +goose StatementStart
CREATE TABLE inventory.bins (bin_code text PRIMARY KEY);
-- +goose StatementEnd
