INSERT INTO help_pages (slug, body)
VALUES ('shipping', '
Orders ship within two days.

Blank lines inside a string are part of it.
');