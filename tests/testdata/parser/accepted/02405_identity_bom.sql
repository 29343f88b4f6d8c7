-- +goose Up
CREATE TABLE identity.locales (code text PRIMARY KEY, endonym text NOT NULL);
INSERT INTO identity.locales VALUES ('fr', 'français'), ('ja', '日本語');
-- +goose Down
DROP TABLE identity.locales;
