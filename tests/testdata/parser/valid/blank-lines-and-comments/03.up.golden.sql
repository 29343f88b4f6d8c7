INSERT INTO help_pages (slug, body) VALUES ('refunds',  E'# Refunds

-- not a comment: this line is inside the string
    -- nor is this indented one

Refunds take five days.');