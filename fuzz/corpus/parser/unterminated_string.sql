-- +goose Up
SELECT 'never closed;
