-- +goose Up

CREATE TABLE help_pages (
    slug text,
        body text);

INSERT INTO help_pages (slug, body) VALUES ('returns',  E'# Returning an order

Pack the items.

Print the label.');

INSERT INTO help_pages (slug, body) VALUES ('refunds',  E'# Refunds

-- not a comment: this line is inside the string
    -- nor is this indented one

Refunds take five days.');

-- +goose StatementBegin



-- dropped: before the statement's first line
  -- dropped as well, indented


CREATE FUNCTION page_count() RETURNS bigint AS $$
BEGIN
  -- counted on demand
  RETURN (SELECT count(*) FROM help_pages);
END;
$$ LANGUAGE plpgsql;

-- kept: after the statement's first line
  -- kept as well, indented


-- +goose StatementEnd

INSERT INTO help_pages (slug, body)
VALUES ('shipping', '
Orders ship within two days.

Blank lines inside a string are part of it.
');

-- +goose Down
DROP TABLE help_pages; 
