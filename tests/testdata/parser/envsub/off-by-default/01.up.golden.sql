CREATE TABLE untouched (
    id int NOT NULL,
    $LEDGER_OWNER text,
    ${LEDGER_OWNER}_note text,
    ${LEDGER_MISSING:-fallback}_a text
);