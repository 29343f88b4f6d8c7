-- +goose Up
CREATE TABLE notifications.mutes (user_id uuid PRIMARY KEY); -- a space before the dashes: it ends here
-- +goose Down
DROP TABLE notifications.mutes;--gone
