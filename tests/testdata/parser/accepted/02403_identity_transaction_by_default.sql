-- +goose Up
UPDATE identity.users SET email = lower(email) WHERE email <> lower(email);
-- NO TRANSACTION in a plain comment changes nothing.
UPDATE identity.users SET display_name = initcap(display_name);
-- +goose Down
SELECT 'no way back' AS note; -- lower-casing cannot be undone
