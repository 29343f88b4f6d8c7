CREATE TABLE help_pages (
    slug text,
        body text);