-- +goose Up
-- +goose StatementBegin
INSERT INTO notifications.outbox (channel, payload) VALUES ('email', '{"text": "Your invoice is ready"}');
-- +goose StatementEnd
-- +goose Down
DELETE FROM notifications.outbox WHERE payload->>'text' = 'Your
invoice is ready
