-- +goose Up
SELECT count(*) FROM stock_moves
