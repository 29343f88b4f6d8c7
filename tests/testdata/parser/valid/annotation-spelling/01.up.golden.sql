CREATE TABLE ledger_entries (
    entry_id bigint PRIMARY KEY,
    amount_cents bigint NOT NULL,
    booked_at timestamptz,
    booked_by text
);