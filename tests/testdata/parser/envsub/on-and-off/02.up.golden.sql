CREATE TABLE postings_raw (
    id int NOT NULL,
    $LEDGER_OWNER text,
    ${LEDGER_OWNER}_note text
);