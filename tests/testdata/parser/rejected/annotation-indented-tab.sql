	-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY tax_rates_rate_idx ON billing.tax_rates (rate);
