-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION billing.overdue(p_invoice bigint) RETURNS boolean LANGUAGE sql AS $$
    SELECT due_on < current_date FROM billing.invoices WHERE id = p_invoice
$$;

-- +goose Down
DROP FUNCTION billing.overdue(bigint);
-- +goose StatementEnd
