-- +goose ENVSUB ON
-- Switched on before Up: both sections are substituted. This comment is
-- dropped before substitution, so $CORPUS_UNSET here costs nothing.
-- +goose Up
GRANT USAGE ON SCHEMA ${CORPUS_SCHEMA} TO $CORPUS_ROLE;
CREATE TABLE ${CORPUS_SCHEMA}.credit_notes (
    -- written by $CORPUS_ROLE: a comment inside a statement is substituted too
    note_id bigint PRIMARY KEY,
    issued_by text NOT NULL DEFAULT '${CORPUS_ROLE}'
); GRANT INSERT ON ${CORPUS_SCHEMA}.credit_notes TO ${CORPUS_ROLE};

-- +goose Down
REVOKE ALL ON ${CORPUS_SCHEMA}.credit_notes FROM $CORPUS_ROLE;
DROP TABLE ${CORPUS_SCHEMA}.credit_notes;
