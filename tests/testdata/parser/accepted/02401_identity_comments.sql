-- Sessions of signed-in users. This header is a comment before the first
-- annotation: goose skips it like any comment before a statement.

-- +goose Up
-- dropped: a comment before the statement's first line;
    -- dropped too, though indented
CREATE TABLE identity.sessions ( -- kept: the statement has begun
    session_id uuid PRIMARY KEY,
    -- kept, and its ';' ends nothing;
    user_id    uuid NOT NULL,   -- kept
    expires_at timestamptz NOT NULL /* kept; */
); -- kept: on the line that ends the statement
-- dropped: after the statement, before the next one
/* a block comment is not a "--" line: it begins the next statement */
CREATE INDEX sessions_user_idx ON identity.sessions (user_id);
/*
 * so does a comment over several lines
 */ CREATE INDEX sessions_expiry_idx ON identity.sessions (expires_at);
SELECT 1 /* ; */ ; -- a ';' word after a block comment still counts
--no space after the dashes: still a comment
--
-- +goose Down
-- dropped
DROP TABLE identity.sessions; -- kept
-- dropped at the end of the file
