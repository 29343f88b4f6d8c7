-- SQLite counterpart of ../01002_db_new_id.sql: SQLite has no stored functions,
-- so keys there stay the random TEXT UUIDs of each table's DEFAULT.
-- The version exists so both backends hold the same versions.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
