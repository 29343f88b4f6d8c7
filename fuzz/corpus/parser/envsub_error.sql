-- +goose Up
-- +goose ENVSUB ON
SELECT $1;
