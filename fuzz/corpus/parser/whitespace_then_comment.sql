-- +goose Up
   
-- kept comment
SELECT 1;
-- +goose StatementBegin
-- +goose StatementEnd
SELECT 2;
