-- The shared foundation on SQLite. Schema db is the attached file beside the
-- main one (docs/sqlite.md); SQLite has no stored functions, so db.set_updated_at()
-- has no counterpart: on SQLite the application sets updated_at itself.
-- The version exists so both backends hold the same versions.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
