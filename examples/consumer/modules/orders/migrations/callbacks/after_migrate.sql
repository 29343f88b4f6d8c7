-- A callback: runs after every run that applied something
-- (docs/module-authors.md#callbacks).
-- +goose Up
ANALYZE orders.lines;
