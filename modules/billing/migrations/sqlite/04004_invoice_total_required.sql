-- SQLite counterpart of ../04004_invoice_total_required.sql (docs/sqlite.md).
-- SQLite cannot change a column's NOT NULL: the table is rebuilt (SQLite's
-- documented procedure: new table, copy, drop, rename, indexes again), in the
-- migration's transaction. Foreign keys are not enforced on the migration
-- connection, so dropping the old table leaves invoice_lines as it is.

-- +goose Up
CREATE TABLE billing.invoices_rebuilt (
  id INTEGER PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE RESTRICT,
  currency TEXT NOT NULL CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*'),
  issued_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  total_cents INTEGER NOT NULL CHECK (total_cents >= 0)
);
INSERT INTO billing.invoices_rebuilt (id, account_id, currency, issued_at, total_cents)
  SELECT id, account_id, currency, issued_at, total_cents FROM billing.invoices;
DROP TABLE billing.invoices;
ALTER TABLE billing.invoices_rebuilt RENAME TO invoices;
CREATE INDEX billing.invoices_account_id_idx ON invoices (account_id);

-- +goose Down
CREATE TABLE billing.invoices_rebuilt (
  id INTEGER PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE RESTRICT,
  currency TEXT NOT NULL CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*'),
  issued_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  total_cents INTEGER CHECK (total_cents >= 0)
);
INSERT INTO billing.invoices_rebuilt (id, account_id, currency, issued_at, total_cents)
  SELECT id, account_id, currency, issued_at, total_cents FROM billing.invoices;
DROP TABLE billing.invoices;
ALTER TABLE billing.invoices_rebuilt RENAME TO invoices;
CREATE INDEX billing.invoices_account_id_idx ON invoices (account_id);
