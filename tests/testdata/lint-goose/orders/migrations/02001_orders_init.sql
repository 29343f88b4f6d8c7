-- +goose Up
CREATE SCHEMA orders;

-- +goose StatementBegin
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                 WHERE n.nspname = 'orders' AND t.typname = 'order_status') THEN
    CREATE TYPE orders.order_status AS ENUM ('open', 'paid', 'shipped', 'cancelled');
  END IF;
END
$$;
-- +goose StatementEnd

CREATE TABLE orders."Order" (
  "Id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "Status" orders.order_status NOT NULL DEFAULT 'open',
  "PlacedAt" timestamptz NOT NULL DEFAULT now(),
  "Note" text,
  "Lines" jsonb NOT NULL DEFAULT '[]'::jsonb
);

CREATE INDEX "Order_Status_PlacedAt_idx" ON orders."Order" ("Status", "PlacedAt" DESC);

-- +goose StatementBegin
CREATE FUNCTION orders.order_total_cents(o orders."Order") RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT coalesce(sum((line ->> 'cents')::bigint * (line ->> 'qty')::int), 0)
  FROM jsonb_array_elements(o."Lines") AS line
$$;

CREATE FUNCTION orders.guard_status() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF OLD."Status" = 'cancelled' AND NEW."Status" <> 'cancelled' THEN
    RAISE EXCEPTION 'order % is cancelled', OLD."Id" USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$fn$;

CREATE TRIGGER "Order_guard_status" BEFORE UPDATE OF "Status" ON orders."Order"
  FOR EACH ROW EXECUTE FUNCTION orders.guard_status()
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE orders."Order";
DROP FUNCTION orders.guard_status();
DROP TYPE orders.order_status;
DROP SCHEMA orders;
-- +goose StatementEnd
