-- +goose Up
CREATE SCHEMA orders;
CREATE TABLE orders.orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  placed_at timestamptz NOT NULL DEFAULT now()
);
-- An order line points at the catalog: orders comes after catalog in modules.yaml.
CREATE TABLE orders.lines (
  order_id bigint NOT NULL REFERENCES orders.orders (id),
  item_id bigint NOT NULL REFERENCES catalog.items (id),
  quantity integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (order_id, item_id)
);

-- +goose Down
DROP SCHEMA orders CASCADE;
