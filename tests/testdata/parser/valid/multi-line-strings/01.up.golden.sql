CREATE TABLE signing_keys (
    key_id integer NOT NULL,
    "pemText" text
);