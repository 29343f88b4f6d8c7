-- +goose Up
-- saved on Windows: each CR is dropped with its line end
CREATE TABLE identity.api_keys (
    key_id uuid PRIMARY KEY,

    label  text NOT NULL DEFAULT 'unnamed'
);

-- +goose StatementBegin
CREATE FUNCTION identity.key_count() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT count(*) FROM identity.api_keys);
END;
$$;
-- +goose StatementEnd
-- +goose Down
DROP FUNCTION identity.key_count();   -- trailing spaces and a comment
DROP TABLE identity.api_keys;
