
-- +goose Up
ALTER TABLE stock_moves

-- +goose Down
