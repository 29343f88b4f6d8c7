SELECT 1;
-- +goose Up
