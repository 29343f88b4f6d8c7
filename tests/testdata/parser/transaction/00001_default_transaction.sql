-- +goose Up
CREATE TABLE couriers (
    courier_id bigint PRIMARY KEY,
    display_name text NOT NULL
);

INSERT INTO couriers VALUES
(1, 'Night shift'),
(2, 'Bicycle team');

-- +goose Down
DROP TABLE couriers;
