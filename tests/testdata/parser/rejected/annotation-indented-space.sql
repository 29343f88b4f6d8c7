-- +goose Up
CREATE TABLE billing.tax_rates (region text PRIMARY KEY, rate numeric NOT NULL);

-- +goose Down
-- +goose StatementBegin
DROP TABLE billing.tax_rates;
  -- +goose StatementEnd
