-- +goose ENVSUB  ON
-- +goose Up
CREATE SCHEMA ${CORPUS_SCHEMA};
