-- Added after audit (06001) and integration (07001) had shipped. Databases that
-- already recorded those still get this version: the runner applies pending
-- versions below the highest applied one (goose's allow-missing), which the
-- per-module namespaces depend on.

-- +goose Up
ALTER TABLE identity.users ADD COLUMN last_seen_at timestamptz;

-- +goose Down
ALTER TABLE identity.users DROP COLUMN last_seen_at;
