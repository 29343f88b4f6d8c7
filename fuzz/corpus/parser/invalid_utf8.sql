-- +goose Up
SELECT 'Ã(';
