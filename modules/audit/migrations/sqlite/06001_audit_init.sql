-- SQLite counterpart of ../06001_audit_init.sql (docs/sqlite.md). The identity
-- is INTEGER PRIMARY KEY AUTOINCREMENT (never reused, like an identity column);
-- details is JSON text. SQLite has no TRUNCATE: refusing UPDATE and DELETE covers it.

-- +goose Up
-- +goose StatementBegin
CREATE TABLE audit.entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  occurred_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  actor_person_id TEXT,
  organization_id TEXT,
  action TEXT NOT NULL CHECK (action <> ''),
  subject_type TEXT NOT NULL,
  subject_id TEXT,
  details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
);
CREATE INDEX audit.entries_organization_occurred_at_idx ON entries (organization_id, occurred_at DESC);

CREATE TRIGGER audit.entries_no_update BEFORE UPDATE ON entries
BEGIN
  SELECT RAISE(ABORT, 'audit.entries is append-only: UPDATE refused');
END;
CREATE TRIGGER audit.entries_no_delete BEFORE DELETE ON entries
BEGIN
  SELECT RAISE(ABORT, 'audit.entries is append-only: DELETE refused');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit.entries;
