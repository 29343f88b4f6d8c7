-- +goose Up
-- +goose StatementBegin
CREATE SCHEMA integration;

-- Every inbound webhook is stored before it is processed: a crash loses none,
-- and the provider's retries of the same event hit the unique key.
CREATE TABLE integration.webhook_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  provider text NOT NULL,
  external_id text NOT NULL,
  event_type text NOT NULL,
  payload jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz,
  last_error text,
  UNIQUE (provider, external_id)
);

-- Transactional outbox: written in the same transaction as the change it
-- announces, published afterwards, so no event is sent for a rolled-back change.
CREATE TABLE integration.outbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic text NOT NULL,
  aggregate_type text NOT NULL,
  aggregate_id text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0)
);
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE integration.outbox;
DROP TABLE integration.webhook_events;
DROP SCHEMA integration;
-- +goose StatementEnd
