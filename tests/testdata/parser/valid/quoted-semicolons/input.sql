-- +goose Up
-- A ';' at the end of a line inside any of these would make goose split there.
INSERT INTO notes (body) VALUES ('first line;
second line;
');

INSERT INTO notes (body) VALUES (E'it\'s;
escaped \\';

CREATE FUNCTION touch() RETURNS trigger AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION tagged() RETURNS text AS $body$
  SELECT 'not the end: $x$;
  $$;';
$body$ LANGUAGE sql;

CREATE TABLE "odd;
name" (id int);

SELECT 1 /* a comment; /* nested;
*/ still inside;
*/;

SELECT 2; -- it's a comment, its quote opens nothing
SELECT a$b$ FROM t;

-- +goose Down
DROP FUNCTION tagged();
DROP FUNCTION touch();
