-- SQLite counterpart of ../02002_users_last_seen.sql.

-- +goose Up
ALTER TABLE identity.users ADD COLUMN last_seen_at TEXT;

-- +goose Down
ALTER TABLE identity.users DROP COLUMN last_seen_at;
