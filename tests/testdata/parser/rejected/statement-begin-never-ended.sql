-- +goose Up
CREATE TABLE fx_rates (
  currency text PRIMARY KEY,
  rate numeric NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION convert_amount(amount numeric, currency text) RETURNS numeric AS $$
  SELECT amount * rate FROM fx_rates WHERE fx_rates.currency = convert_amount.currency;
$$ LANGUAGE sql;

-- +goose Down
DROP FUNCTION convert_amount(numeric, text);
DROP TABLE fx_rates;
