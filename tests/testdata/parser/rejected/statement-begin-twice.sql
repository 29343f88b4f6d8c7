-- +goose Up
SELECT 1;
-- +goose Down
-- +goose StatementBegin
DROP VIEW IF EXISTS inventory.low_stock;
-- +goose StatementBegin
DROP VIEW IF EXISTS inventory.out_of_stock;
-- +goose StatementEnd
