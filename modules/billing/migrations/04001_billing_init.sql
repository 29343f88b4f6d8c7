-- +goose Up
-- +goose StatementBegin
CREATE SCHEMA billing;

-- What can be sold; `code` is the stable name the application refers to.
CREATE TABLE billing.products (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9_]*$'),
  name text NOT NULL CHECK (name <> ''),
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Amounts in the currency's minor unit (cents): money is never a float.
-- A NULL recurring_interval is a one-time price.
CREATE TABLE billing.prices (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  product_id uuid NOT NULL REFERENCES billing.products (id),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  unit_amount bigint NOT NULL CHECK (unit_amount >= 0),
  recurring_interval text CHECK (recurring_interval IN ('month', 'year')),
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX prices_product_id_idx ON billing.prices (product_id);

-- One billing account per organization; RESTRICT: an organization with a
-- billing history is archived, not deleted.
CREATE TABLE billing.accounts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL UNIQUE REFERENCES organization.organizations (id) ON DELETE RESTRICT,
  billing_email text NOT NULL CHECK (billing_email LIKE '%_@_%'),
  external_customer_id text UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER products_set_updated_at BEFORE UPDATE ON billing.products
  FOR EACH ROW EXECUTE FUNCTION db.set_updated_at();
CREATE TRIGGER prices_set_updated_at BEFORE UPDATE ON billing.prices
  FOR EACH ROW EXECUTE FUNCTION db.set_updated_at();
CREATE TRIGGER accounts_set_updated_at BEFORE UPDATE ON billing.accounts
  FOR EACH ROW EXECUTE FUNCTION db.set_updated_at();
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE billing.accounts;
DROP TABLE billing.prices;
DROP TABLE billing.products;
DROP SCHEMA billing;
-- +goose StatementEnd
