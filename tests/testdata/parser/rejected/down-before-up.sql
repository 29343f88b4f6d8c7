-- +goose NO TRANSACTION
-- the Down section was written first by mistake
-- +goose Down
DROP INDEX CONCURRENTLY inventory.bins_zone_idx;
-- +goose Up
CREATE INDEX CONCURRENTLY bins_zone_idx ON inventory.bins (zone);
