-- +goose Up
CREATE ROLE $CORPUS_ROLE;
-- +goose envsub on
CREATE SCHEMA ${CORPUS_SCHEMA}_archive
    AUTHORIZATION ${CORPUS_ROLE}
-- +goose ENVSUB OFF
    CREATE TABLE ledger_$CORPUS_SCHEMA (id bigint);
--+goose Envsub On
COMMENT ON SCHEMA ${CORPUS_SCHEMA}_archive IS '${CORPUS_UNSET:-closed years} ${CORPUS_EMPTY:-no tag} [${CORPUS_EMPTY-kept empty}] ${CORPUS_UNSET-none}';
SELECT 'a literal \$CORPUS_ROLE and $$CORPUS_ROLE';
-- +goose StatementBegin
CREATE FUNCTION ${CORPUS_SCHEMA}_archive.owner() RETURNS text
-- +goose ENVSUB OFF
LANGUAGE sql AS 'SELECT ''${CORPUS_ROLE}''::text';
-- +goose StatementEnd

-- +goose Down
DROP SCHEMA billing_archive CASCADE; -- still off since the block: $CORPUS_SCHEMA stays as written
-- +goose ENVSUB ON
DROP ROLE $CORPUS_ROLE;
