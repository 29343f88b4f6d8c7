
-- +goose ENVSUB ON
-- +goose Up
CREATE TABLE fx_rates (
	currency text NOT NULL,
	${LEDGER_MISSING?the rate column needs a name} numeric
);
