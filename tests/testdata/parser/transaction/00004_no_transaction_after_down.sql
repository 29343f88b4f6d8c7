-- +goose Up
CREATE INDEX CONCURRENTLY couriers_id_name_idx ON couriers (courier_id, display_name);

-- +goose Down
DROP INDEX CONCURRENTLY couriers_id_name_idx;

-- +goose no transaction
