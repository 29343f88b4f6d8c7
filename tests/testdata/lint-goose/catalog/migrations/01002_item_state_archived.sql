-- ALTER TYPE ... ADD VALUE cannot run inside a transaction block before 12,
-- and its new label cannot be used in the same transaction: keep it alone.
-- +goose NO TRANSACTION

-- +goose Up
ALTER TYPE catalog.item_state ADD VALUE IF NOT EXISTS 'archived' AFTER 'retired';

-- +goose Down
SELECT 'enum labels cannot be removed; archived stays' AS note;
