-- +goose Up
CREATE TABLE café (naïve text);
-- +goose Down
DROP TABLE café;
