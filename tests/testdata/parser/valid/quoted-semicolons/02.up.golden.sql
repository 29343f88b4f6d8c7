INSERT INTO notes (body) VALUES (E'it\'s;
escaped \\';