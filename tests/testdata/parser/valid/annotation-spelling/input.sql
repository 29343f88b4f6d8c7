-- +goose UP
CREATE TABLE ledger_entries (
    entry_id bigint PRIMARY KEY,
    amount_cents bigint NOT NULL,
    booked_at timestamptz,
    booked_by text
);

-- +goose statementBEGIN
CREATE FUNCTION ledger_entries_stamp() RETURNS trigger AS $stamp$
    BEGIN
        -- an entry must carry an amount
        IF NEW.amount_cents IS NULL THEN
            RAISE EXCEPTION 'entry % has no amount', NEW.entry_id;
        END IF;

        -- remember who booked it, and when
        NEW.booked_at := now();
        NEW.booked_by := session_user;
        RETURN NEW;
    END;
$stamp$ LANGUAGE plpgsql;
-- +goose STATEMENTend

CREATE TRIGGER ledger_entries_stamp BEFORE INSERT OR UPDATE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_stamp();

-- +goose down
