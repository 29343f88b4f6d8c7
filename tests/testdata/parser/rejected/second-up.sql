-- +goose Up
ALTER TABLE identity.users ADD COLUMN locale text;
-- +goose StatementBegin
UPDATE identity.users SET locale = 'en';
-- +goose StatementEnd
-- +goose Up
ALTER TABLE identity.users ALTER COLUMN locale SET NOT NULL;
