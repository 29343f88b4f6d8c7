-- +goose Up
-- Without "ENVSUB ON" nothing is substituted, set or not.
PREPARE billing_refund(bigint) AS
    UPDATE billing.payments SET amount_cents = 0 WHERE payment_id = $1;
COMMENT ON TABLE billing.payments IS '$CORPUS_ROLE ${CORPUS_SCHEMA} ${CORPUS_UNSET:-x} ${CORPUS_UNSET?} \$ $$';
-- +goose ENVSUB OFF
SELECT '${CORPUS_SCHEMA}' AS still_literal;

-- +goose Down
DEALLOCATE billing_refund;
