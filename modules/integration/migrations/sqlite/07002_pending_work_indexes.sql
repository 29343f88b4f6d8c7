-- SQLite counterpart of ../07002_pending_work_indexes.sql. SQLite has no
-- CONCURRENTLY (an index build holds the write lock either way), so this runs
-- in a transaction like any other migration.

-- +goose Up
CREATE INDEX IF NOT EXISTS integration.outbox_unpublished_idx
  ON outbox (created_at) WHERE published_at IS NULL;

CREATE INDEX IF NOT EXISTS integration.webhook_events_unprocessed_idx
  ON webhook_events (received_at) WHERE processed_at IS NULL;

-- +goose Down
DROP INDEX IF EXISTS integration.webhook_events_unprocessed_idx;
DROP INDEX IF EXISTS integration.outbox_unpublished_idx;
