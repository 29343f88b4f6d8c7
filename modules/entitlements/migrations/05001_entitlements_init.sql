-- +goose Up
-- +goose StatementBegin
CREATE SCHEMA entitlements;

-- A grant lets an organization use a feature, bought (product_id) or given by
-- hand (granted_by_person_id). Grants are revoked, never deleted.
CREATE TABLE entitlements.grants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organization.organizations (id) ON DELETE CASCADE,
  feature text NOT NULL CHECK (feature ~ '^[a-z][a-z0-9_.]*$'),
  quantity integer CHECK (quantity > 0),  -- NULL: unlimited
  product_id uuid REFERENCES billing.products (id),
  granted_by_person_id uuid REFERENCES identity.persons (id) ON DELETE SET NULL,
  valid_from timestamptz NOT NULL DEFAULT now(),
  valid_until timestamptz,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (valid_until IS NULL OR valid_until > valid_from)
);

-- "May this organization use this feature?" is asked on most requests.
CREATE INDEX grants_organization_feature_idx ON entitlements.grants (organization_id, feature);

CREATE TRIGGER grants_set_updated_at BEFORE UPDATE ON entitlements.grants
  FOR EACH ROW EXECUTE FUNCTION db.set_updated_at();
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE entitlements.grants;
DROP SCHEMA entitlements;
-- +goose StatementEnd
