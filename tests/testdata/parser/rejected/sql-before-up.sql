-- identity: the lookup index
SET lock_timeout = '5s';
-- +goose Up
CREATE INDEX users_email_idx ON identity.users (lower(email));
