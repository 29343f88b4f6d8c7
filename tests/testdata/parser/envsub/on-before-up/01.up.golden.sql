CREATE TABLE ledger_accounts (
    account_id int NOT NULL,
    owner text DEFAULT 'treasurer',
    PRIMARY KEY (account_id)
);              -- first