--+goose up
-- Every annotation below is spelled differently; each one still counts, as the
-- rest of the line is compared without regard to case once the dashes are gone.
CREATE TABLE billing.invoice_numbers (
    account_id  bigint PRIMARY KEY,
    last_number integer NOT NULL DEFAULT 0
);
--   +goose   statementbegin   
CREATE FUNCTION billing.next_invoice_number(p_account bigint) RETURNS integer
LANGUAGE sql AS $fn$
    UPDATE billing.invoice_numbers
       SET last_number = last_number + 1
     WHERE account_id = p_account
    RETURNING last_number;
$fn$;
---- +goose STATEMENTEND
--	+goose	Statement--Begin
ALTER TABLE billing.invoice_numbers
    ADD CONSTRAINT invoice_numbers_positive CHECK (last_number >= 0);
-- +gooseStatementEnd
-- +gooseDOWN
DROP FUNCTION billing.next_invoice_number(bigint);
-- +goose Statementbegin
DROP TABLE billing.invoice_numbers
-- +goose statementend
