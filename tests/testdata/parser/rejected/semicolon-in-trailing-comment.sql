-- +goose Up
SELECT 1 -- a semicolon after a comment marker ;
