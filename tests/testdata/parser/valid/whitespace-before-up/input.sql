  	
-- +goose Up
-- +goose StatementBegin
CREATE INDEX ON ledger_entries (booked_at);
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP INDEX IF EXISTS ledger_entries_booked_at_idx;
-- +goose StatementEnd
