-- +goose ENVSUB ON
-- +goose Up
CREATE TABLE ${CORPUS_SCHEMA}.refunds (refund_id bigint PRIMARY KEY);
-- +goose Down
DROP TABLE ${CORPUS_SCHEMA}.refunds;
ALTER ROLE ${CORPUS_UNSET?set CORPUS_UNSET to the role that owned refunds} RESET search_path;
