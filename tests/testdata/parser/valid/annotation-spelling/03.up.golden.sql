CREATE TRIGGER ledger_entries_stamp BEFORE INSERT OR UPDATE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_stamp();