-- New persons and users get time-ordered keys (db.new_id(), UUID version 7,
-- native uuidv7() on PostgreSQL 18). Existing keys stay as they are: both kinds
-- are uuid, and only the order of new rows in the index changes.

-- +goose Up
ALTER TABLE identity.persons ALTER COLUMN id SET DEFAULT db.new_id();
ALTER TABLE identity.users ALTER COLUMN id SET DEFAULT db.new_id();

-- +goose Down
ALTER TABLE identity.persons ALTER COLUMN id SET DEFAULT gen_random_uuid();
ALTER TABLE identity.users ALTER COLUMN id SET DEFAULT gen_random_uuid();
