-- +goose Up
-- +goose StatementBegin
SET LOCAL lock_timeout = '3s';
ALTER TABLE orders."Order" ADD COLUMN "ShippedAt" timestamptz;
ALTER TABLE orders."Order"
  ADD CONSTRAINT "Order_shipped_has_time"
  CHECK ("Status" <> 'shipped' OR "ShippedAt" IS NOT NULL) NOT VALID;
COMMENT ON COLUMN orders."Order"."ShippedAt" IS 'set when the parcel leaves; see "Order_shipped_has_time"'
-- +goose StatementEnd

-- +goose StatementBegin
ALTER TABLE orders."Order" VALIDATE CONSTRAINT "Order_shipped_has_time"
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
SET LOCAL lock_timeout = '3s';
ALTER TABLE orders."Order" DROP CONSTRAINT "Order_shipped_has_time";
-- lint:ignore drop-table-or-column the column was added by this migration's Up
ALTER TABLE orders."Order" DROP COLUMN "ShippedAt"
-- +goose StatementEnd
