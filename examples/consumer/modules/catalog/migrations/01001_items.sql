-- +goose Up
CREATE SCHEMA catalog;
CREATE TABLE catalog.items (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sku text NOT NULL UNIQUE,
  title text NOT NULL
);

-- +goose Down
DROP SCHEMA catalog CASCADE;
