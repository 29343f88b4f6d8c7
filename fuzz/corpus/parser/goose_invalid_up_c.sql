-- +goose Up
SELECT * FROM bar
-- +goose Down
