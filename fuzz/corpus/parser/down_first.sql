-- +goose Down
SELECT 1;
