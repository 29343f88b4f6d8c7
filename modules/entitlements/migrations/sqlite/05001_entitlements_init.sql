-- SQLite counterpart of ../05001_entitlements_init.sql (docs/sqlite.md). Its
-- three references (organization, billing, identity) all cross modules, which
-- SQLite cannot declare across attached databases.

-- +goose Up
CREATE TABLE entitlements.grants (
  id TEXT NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
  organization_id TEXT NOT NULL,
  feature TEXT NOT NULL CHECK (feature GLOB '[a-z]*' AND feature NOT GLOB '*[^a-z0-9_.]*'),
  quantity INTEGER CHECK (quantity > 0),  -- NULL: unlimited
  product_id TEXT,
  granted_by_person_id TEXT,
  valid_from TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  valid_until TEXT,
  revoked_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  CHECK (valid_until IS NULL OR valid_until > valid_from)
);

CREATE INDEX entitlements.grants_organization_feature_idx ON grants (organization_id, feature);

-- +goose Down
DROP TABLE entitlements.grants;
