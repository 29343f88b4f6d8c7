-- +goose Up
CREATE TABLE inventory.counts (n integer);
CREATE FUNCTION inventory.zero() RETURNS integer LANGUAGE sql AS $zero$
    SELECT 0
$zero
-- +goose Down
DROP FUNCTION inventory.zero();
