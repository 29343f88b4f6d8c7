-- +goose Up
CREATE TABLE route_legs (hop text);
COMMENT ON TABLE route_legs IS 'depot --> customer';

INSERT INTO route_legs VALUES ('--;'), ('a -- b');
-- +goose Down
DROP TABLE route_legs;
