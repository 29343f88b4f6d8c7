-- SQLite counterpart of ../04002_invoices.sql (docs/sqlite.md). Identity
-- columns are INTEGER PRIMARY KEY (SQLite's rowid); the currency check is
-- written with GLOB, as in 04001.

-- +goose Up
CREATE TABLE billing.invoices (
  id INTEGER PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE RESTRICT,
  currency TEXT NOT NULL CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*'),
  issued_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  total_cents INTEGER CHECK (total_cents >= 0)
);
CREATE INDEX billing.invoices_account_id_idx ON invoices (account_id);

CREATE TABLE billing.invoice_lines (
  id INTEGER PRIMARY KEY,
  invoice_id INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
  description TEXT NOT NULL CHECK (description <> ''),
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  unit_amount INTEGER NOT NULL CHECK (unit_amount >= 0)
);
CREATE INDEX billing.invoice_lines_invoice_id_idx ON invoice_lines (invoice_id);

-- +goose Down
DROP TABLE billing.invoice_lines;
DROP TABLE billing.invoices;
