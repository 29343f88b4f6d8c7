-- +goose Up
-- +goose StatementBegin
CREATE SCHEMA identity;

-- A person is a human the product knows about, whether or not they can log in.
CREATE TABLE identity.persons (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  display_name text NOT NULL CHECK (display_name <> ''),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A user is a person's login; a person has at most one.
CREATE TABLE identity.users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL UNIQUE REFERENCES identity.persons (id) ON DELETE CASCADE,
  email text NOT NULL CHECK (email LIKE '%_@_%'),
  disabled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One account per address whatever its case (no citext: the set uses no extensions).
CREATE UNIQUE INDEX users_email_key ON identity.users (lower(email));

CREATE TRIGGER persons_set_updated_at BEFORE UPDATE ON identity.persons
  FOR EACH ROW EXECUTE FUNCTION db.set_updated_at();
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON identity.users
  FOR EACH ROW EXECUTE FUNCTION db.set_updated_at();
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE identity.users;
DROP TABLE identity.persons;
DROP SCHEMA identity;
-- +goose StatementEnd
