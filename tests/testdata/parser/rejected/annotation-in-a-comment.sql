-- +goose Up
CREATE TABLE identity.roles (role_name text PRIMARY KEY);
-- check the result with +goose status before the deploy
INSERT INTO identity.roles VALUES ('admin');
