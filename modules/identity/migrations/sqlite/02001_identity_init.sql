-- SQLite counterpart of ../02001_identity_init.sql (docs/sqlite.md): uuid and
-- timestamptz are TEXT (ISO 8601 UTC), primary key columns say NOT NULL (SQLite
-- would otherwise accept NULL in them).

-- +goose Up
CREATE TABLE identity.persons (
  id TEXT NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
  display_name TEXT NOT NULL CHECK (display_name <> ''),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE identity.users (
  id TEXT NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
  person_id TEXT NOT NULL UNIQUE REFERENCES persons (id) ON DELETE CASCADE,
  email TEXT NOT NULL CHECK (email LIKE '%_@_%'),
  disabled_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE UNIQUE INDEX identity.users_email_key ON users (lower(email));

-- +goose Down
DROP TABLE identity.users;
DROP TABLE identity.persons;
