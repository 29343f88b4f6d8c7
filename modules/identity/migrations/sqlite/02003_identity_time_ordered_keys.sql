-- SQLite counterpart of ../02003_identity_time_ordered_keys.sql: SQLite cannot
-- change a column's DEFAULT without rebuilding the table, and has no db.new_id();
-- keys stay random there. The version exists so both backends hold the same versions.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
