-- +goose NO TRANSACTION
-- +goose Up
-- +goose StatementBegin
CREATE INDEX CONCURRENTLY IF NOT EXISTS "StockItem_DisplayName_lower_idx"
  ON catalog."StockItem" (lower("DisplayName"))
-- +goose StatementEnd

-- +goose StatementBegin
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "StockItem_listed_Sku_idx"
  ON catalog."StockItem" ("Sku") WHERE state = 'listed'
-- +goose StatementEnd

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS catalog."StockItem_listed_Sku_idx";
DROP INDEX CONCURRENTLY IF EXISTS catalog."StockItem_DisplayName_lower_idx";
