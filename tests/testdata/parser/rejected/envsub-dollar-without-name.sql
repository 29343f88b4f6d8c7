-- +goose Up
-- +goose ENVSUB ON
COMMENT ON TABLE billing.payments IS 'amounts in cents, never in $';
