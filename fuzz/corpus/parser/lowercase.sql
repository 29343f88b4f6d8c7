-- +goose up
-- +goose statementbegin
SELECT 1
-- +goose statementend
-- +goose down
-- +goose no transaction
