-- The shared foundation: schema db holds the helpers every later module uses.

-- +goose Up
-- +goose StatementBegin
CREATE SCHEMA db;

-- Keeps updated_at true without trusting every UPDATE statement to set it.
CREATE FUNCTION db.set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP FUNCTION db.set_updated_at();
DROP SCHEMA db;
-- +goose StatementEnd
