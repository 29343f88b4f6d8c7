-- +goose Up
CREATE SEQUENCE notifications.digest_seq;

-- +goose Down
DROP SEQUENCE notifications.digest_seq
-- +goose NO TRANSACTION
