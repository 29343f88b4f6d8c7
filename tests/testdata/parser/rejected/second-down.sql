-- +goose Up
-- +goose StatementBegin
ALTER TABLE billing.invoices ADD COLUMN due_on date;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE billing.invoices DROP COLUMN due_on;

-- +goose Down
SELECT 'a second rollback' AS note;
