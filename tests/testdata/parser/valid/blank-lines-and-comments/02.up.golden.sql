INSERT INTO help_pages (slug, body) VALUES ('returns',  E'# Returning an order

Pack the items.

Print the label.');