-- +goose Up
CREATE TABLE identity.roles (role_name text PRIMARY KEY);
-- +goose Down -- undo the roles table
DROP TABLE identity.roles;
