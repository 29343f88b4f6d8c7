-- +goose Up
CREATE TABLE billing.dunning_runs (run_id bigint PRIMARY KEY);
-- +goose Down
DROP TABLE billing.dunning_runs;
-- +goose StatementBegin
DO $$ BEGIN RAISE NOTICE 'dunning runs removed'; END $$;
