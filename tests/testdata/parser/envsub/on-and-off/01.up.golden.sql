CREATE TABLE postings (
    id int NOT NULL,
    treasurer text,
    treasurer_note text,
    fallback_a text,
    b text,
    fallback_c text
);