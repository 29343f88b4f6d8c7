-- +goose Up

-- +goose ENVSUB ON
CREATE TABLE postings (
    id int NOT NULL,
    $LEDGER_OWNER text,
    ${LEDGER_OWNER}_note text,
    ${LEDGER_MISSING:-fallback}_a text,
    ${LEDGER_BLANK-fallback}b text,
    ${LEDGER_BLANK:-fallback}_c text
);
-- +goose ENVSUB OFF

CREATE TABLE postings_raw (
    id int NOT NULL,
    $LEDGER_OWNER text,
    ${LEDGER_OWNER}_note text
);

-- +goose StatementBegin
CREATE FUNCTION posting_notice() RETURNS void AS $$
-- +goose ENVSUB ON
BEGIN
    RAISE NOTICE '${LEDGER_OWNER} \$LEDGER_OWNER $$LEDGER_OWNER';
END;
-- +goose ENVSUB OFF
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
