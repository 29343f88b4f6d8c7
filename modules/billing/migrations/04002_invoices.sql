-- +goose Up
-- +goose StatementBegin
-- An invoice and its lines. total_cents is the sum of the lines, kept on the
-- invoice so listings need no join; 04003 fills it in for existing invoices
-- (a code migration, in batches), 04004 then makes it required.
CREATE TABLE billing.invoices (
  id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
  account_id uuid NOT NULL REFERENCES billing.accounts (id) ON DELETE RESTRICT,
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  issued_at timestamptz NOT NULL DEFAULT now(),
  total_cents bigint CHECK (total_cents >= 0)
);
CREATE INDEX invoices_account_id_idx ON billing.invoices (account_id);

CREATE TABLE billing.invoice_lines (
  id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
  invoice_id bigint NOT NULL REFERENCES billing.invoices (id) ON DELETE CASCADE,
  description text NOT NULL CHECK (description <> ''),
  quantity integer NOT NULL CHECK (quantity > 0),
  unit_amount bigint NOT NULL CHECK (unit_amount >= 0)
);
CREATE INDEX invoice_lines_invoice_id_idx ON billing.invoice_lines (invoice_id);
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE billing.invoice_lines;
DROP TABLE billing.invoices;
-- +goose StatementEnd
