-- +goose Up
ALTER SEQUENCE notifications.digest_seq
    RESTART WITH 100 -- the ';' went missing
    -- and this comment line ends nothing;

-- +goose Down
-- +goose StatementBegin
ALTER SEQUENCE notifications.digest_seq RESTART;
-- +goose StatementEnd
