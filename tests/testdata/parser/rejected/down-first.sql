-- +goose Down
DROP TABLE fx_history;
