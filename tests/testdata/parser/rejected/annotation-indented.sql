-- +goose Up
  -- +goose StatementBegin
SELECT 1;
  -- +goose StatementEnd
