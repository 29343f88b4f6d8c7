-- +goose Up
TRUNCATE notifications.outbox -- empties the outbox;
