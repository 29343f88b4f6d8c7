-- +goose Up
CREATE TABLE code_after (id integer);

-- +goose Down
DROP TABLE code_after;
