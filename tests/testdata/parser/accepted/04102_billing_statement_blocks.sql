-- +goose Up
-- +goose StatementBegin
-- One block, one statement, however many ';' it holds: sent in one request.
CREATE TABLE billing.payments (
    payment_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id  bigint NOT NULL,
    amount_cents bigint NOT NULL
);
CREATE INDEX payments_invoice_idx ON billing.payments (invoice_id);
COMMENT ON TABLE billing.payments IS 'one row per settled payment';
-- +goose StatementEnd
-- +goose StatementBegin
CREATE VIEW billing.unpaid AS
SELECT i.id FROM billing.invoices i
 WHERE NOT EXISTS (SELECT 1 FROM billing.payments p WHERE p.invoice_id = i.id)
-- +goose StatementEnd
ALTER TABLE billing.payments
-- +goose StatementBegin
    ADD COLUMN settled_at timestamptz;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP VIEW billing.unpaid;
DROP TABLE billing.payments; -- the comment after the last ';' stays in the block
-- +goose StatementEnd
