-- +goose Up
-- +goose StatementBegin
CREATE SCHEMA audit;

-- Who did what, when. No foreign keys on purpose: an entry must outlive the
-- person, organization or object it mentions, and must never be rewritten by
-- an ON DELETE action.
CREATE TABLE audit.entries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  actor_person_id uuid,
  organization_id uuid,
  action text NOT NULL CHECK (action <> ''),
  subject_type text NOT NULL,
  subject_id text,
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX entries_organization_occurred_at_idx ON audit.entries (organization_id, occurred_at DESC);

-- A log that can be edited proves nothing: refuse UPDATE, DELETE and TRUNCATE.
CREATE FUNCTION audit.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit.entries is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON audit.entries
  FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON audit.entries
  FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE audit.entries;
DROP FUNCTION audit.refuse_change();
DROP SCHEMA audit;
-- +goose StatementEnd
