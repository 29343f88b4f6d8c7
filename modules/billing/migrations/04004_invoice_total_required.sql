-- +goose Up
-- Every invoice has its total once 04003 has filled them in.
ALTER TABLE billing.invoices ALTER COLUMN total_cents SET NOT NULL;

-- +goose Down
ALTER TABLE billing.invoices ALTER COLUMN total_cents DROP NOT NULL;
