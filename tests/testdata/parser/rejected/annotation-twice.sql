-- +goose Up
CREATE TABLE inventory.bins (bin_code text PRIMARY KEY);
-- +goose Down +goose
DROP TABLE inventory.bins;
