-- +goose Up
-- CREATE INDEX CONCURRENTLY cannot run inside a transaction block.
CREATE INDEX CONCURRENTLY stock_low_idx
    ON inventory.stock (sku)
-- +goose NO TRANSACTION
    WHERE on_hand < reorder_point;

-- +goose Down
DROP INDEX CONCURRENTLY inventory.stock_low_idx;
