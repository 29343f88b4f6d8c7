-- +goose Up
CREATE TABLE fx_rates (currency text PRIMARY KEY);

-- +goose Down
DROP TABLE fx_rates;

-- +goose Up
CREATE TABLE fx_history (currency text, day date);
