-- +goose Up
ALTER TYPE identity.login_method ADD VALUE IF NOT EXISTS 'passkey';

-- +goose Down
SELECT 1; -- an enum value cannot be dropped
-- +goose no transaction
