-- +goose Up
-- +goose StatementBegin
CREATE TABLE code_items (id bigint PRIMARY KEY, processed integer NOT NULL DEFAULT 0);
INSERT INTO code_items (id) SELECT g FROM generate_series(1, 100000) AS g;
CREATE TABLE code_steps (step integer NOT NULL);
-- Held by a test to stop a migration half-way (any read of them then waits).
CREATE TABLE code_gate_batches (x integer);
CREATE TABLE code_gate_steps (x integer);
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE code_gate_steps;
DROP TABLE code_gate_batches;
DROP TABLE code_steps;
DROP TABLE code_items;
-- +goose StatementEnd
