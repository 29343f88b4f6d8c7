-- The publisher and the webhook worker poll for unfinished rows. On busy tables
-- a plain CREATE INDEX blocks writers for the whole build, so these are built
-- CONCURRENTLY, which PostgreSQL refuses inside a transaction block.
--
-- NO TRANSACTION runs the statements one by one, each committed on its own: a
-- failure leaves the earlier ones done (and a failed concurrent build leaves an
-- INVALID index behind: drop it before retrying). Hence IF NOT EXISTS / IF EXISTS,
-- and one statement per index.

-- +goose NO TRANSACTION

-- +goose Up
CREATE INDEX CONCURRENTLY IF NOT EXISTS outbox_unpublished_idx
  ON integration.outbox (created_at) WHERE published_at IS NULL;

CREATE INDEX CONCURRENTLY IF NOT EXISTS webhook_events_unprocessed_idx
  ON integration.webhook_events (received_at) WHERE processed_at IS NULL;

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS integration.webhook_events_unprocessed_idx;
DROP INDEX CONCURRENTLY IF EXISTS integration.outbox_unpublished_idx;
