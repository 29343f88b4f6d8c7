INSERT INTO notes (body) VALUES ('first line;
second line;
');