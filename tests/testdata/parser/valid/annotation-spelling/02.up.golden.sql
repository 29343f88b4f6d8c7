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