-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY couriers_display_name_idx ON couriers (display_name);

SELECT count(*) FROM couriers;

-- +goose Down
DROP INDEX CONCURRENTLY couriers_display_name_idx;
