-- +goose Up
SELECT $$ body;
-- +goose Down
