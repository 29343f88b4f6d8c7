-- +goose Up
SELECT count(*) FROM stock_items;
SELECT count(*) FROM stock_moves
-- +goose Down
SELECT 1;
