-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION invoice_label(invoice_no integer, customer text) RETURNS text AS '
DECLARE
    label text;  -- built up below
BEGIN
    label := ''INV-'' || lpad(invoice_no::text, 6, ''0'');

--
-- The customer''s name follows in brackets when there is one.
--

    IF customer IS NOT NULL THEN
        label := label || '' ('' || customer || '')'';
    END IF;
    RETURN label;
END;
' LANGUAGE plpgsql; -- this comment stays with the statement
-- and so does this line
-- +goose StatementEnd

-- +goose Down
