-- +goose Up
-- +goose StatementBegin
CREATE SCHEMA organization;

CREATE TABLE organization.organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name text NOT NULL CHECK (name <> ''),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Roles belong to one organization; each names the permissions it carries.
CREATE TABLE organization.roles (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organization.organizations (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (name <> ''),
  permissions text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, name),
  -- Target of members' composite key: a member can only hold a role of their own organization.
  UNIQUE (organization_id, id)
);

CREATE TABLE organization.members (
  organization_id uuid NOT NULL REFERENCES organization.organizations (id) ON DELETE CASCADE,
  person_id uuid NOT NULL REFERENCES identity.persons (id) ON DELETE CASCADE,
  role_id uuid NOT NULL,
  joined_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, person_id),
  FOREIGN KEY (organization_id, role_id) REFERENCES organization.roles (organization_id, id)
);

-- "Which organizations is this person in?" is asked on every login.
CREATE INDEX members_person_id_idx ON organization.members (person_id);

CREATE TABLE organization.workspaces (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organization.organizations (id) ON DELETE CASCADE,
  slug text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name text NOT NULL CHECK (name <> ''),
  archived_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, slug)
);

CREATE TRIGGER organizations_set_updated_at BEFORE UPDATE ON organization.organizations
  FOR EACH ROW EXECUTE FUNCTION db.set_updated_at();
CREATE TRIGGER roles_set_updated_at BEFORE UPDATE ON organization.roles
  FOR EACH ROW EXECUTE FUNCTION db.set_updated_at();
CREATE TRIGGER members_set_updated_at BEFORE UPDATE ON organization.members
  FOR EACH ROW EXECUTE FUNCTION db.set_updated_at();
CREATE TRIGGER workspaces_set_updated_at BEFORE UPDATE ON organization.workspaces
  FOR EACH ROW EXECUTE FUNCTION db.set_updated_at();
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE organization.workspaces;
DROP TABLE organization.members;
DROP TABLE organization.roles;
DROP TABLE organization.organizations;
DROP SCHEMA organization;
-- +goose StatementEnd
