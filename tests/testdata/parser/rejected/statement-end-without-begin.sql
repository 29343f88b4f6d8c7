-- +goose Up
-- +goose StatementBegin
CREATE VIEW inventory.low_stock AS SELECT sku FROM inventory.stock WHERE on_hand < reorder_point;
-- +goose StatementEnd
-- +goose StatementEnd
