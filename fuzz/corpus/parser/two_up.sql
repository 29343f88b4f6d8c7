-- +goose Up
SELECT 1;
-- +goose Up
