-- +goose ENVSUB ON
-- +goose Up
CREATE TABLE ${LEDGER_SCHEMA}_accounts (
    account_id int NOT NULL,
    owner text DEFAULT '$LEDGER_OWNER',
    PRIMARY KEY (account_id)
);              -- first

-- between statements
SELECT 2;       -- second
SELECT 3; SELECT 4;  -- third: one line, one statement

-- +goose Down
-- before the statement
DROP TABLE ${LEDGER_SCHEMA}_accounts;  -- the only one
