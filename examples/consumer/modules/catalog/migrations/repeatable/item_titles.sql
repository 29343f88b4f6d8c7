-- A repeatable migration: kept in this one file and applied again whenever
-- the file changes (docs/module-authors.md#repeatable-migrations).
-- +goose Up
CREATE OR REPLACE VIEW catalog.item_titles AS
SELECT sku, title FROM catalog.items;

-- +goose Down
DROP VIEW IF EXISTS catalog.item_titles;
