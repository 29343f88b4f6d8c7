-- +goose Up
CREATE FUNCTION inventory.available(p_sku text) RETURNS integer LANGUAGE sql STABLE AS $$ SELECT on_hand - reserved FROM inventory.stock WHERE sku = p_sku $$;

CREATE FUNCTION inventory.needs_reorder(p_sku text) RETURNS boolean
LANGUAGE sql STABLE
AS $check$
    SELECT inventory.available(p_sku) < reorder_point
      FROM inventory.stock
     WHERE sku = p_sku
$check$;

-- +goose StatementBegin
CREATE FUNCTION inventory.reserve(p_sku text, p_qty integer) RETURNS void AS $$
BEGIN
    -- a reservation never takes stock below zero
    UPDATE inventory.stock SET reserved = reserved + p_qty
     WHERE sku = p_sku AND on_hand - reserved >= p_qty;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'not enough % in stock; % wanted', p_sku, p_qty;
    END IF;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

-- +goose StatementBegin
DO $outer$
BEGIN
    EXECUTE $ddl$
        CREATE TABLE IF NOT EXISTS inventory.stock_audit (
            sku        text NOT NULL,
            note       text NOT NULL DEFAULT $note$it's fine; really$note$,
            changed_at timestamptz NOT NULL DEFAULT now()
        );
    $ddl$;
END
$outer$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    DROP TABLE IF EXISTS inventory.stock_audit;
END
$$;
-- +goose StatementEnd
DROP FUNCTION inventory.reserve(text, integer);
DROP FUNCTION inventory.needs_reorder(text), inventory.available(text);
