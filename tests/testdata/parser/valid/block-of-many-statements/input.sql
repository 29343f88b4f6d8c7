-- +goose Up
-- +goose StatementBegin
CREATE TABLE stock_items (
    sku     text PRIMARY KEY,
    on_hand integer NOT NULL DEFAULT 0
);

CREATE TABLE stock_moves (
    sku      text NOT NULL,
    delta    integer NOT NULL,
    moved_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION apply_stock_move() RETURNS trigger AS $move$
    BEGIN
        --
        -- Keep the on-hand count in step with every recorded move.
        --
        UPDATE stock_items SET on_hand = on_hand + NEW.delta WHERE sku = NEW.sku;
        RETURN NULL; -- an AFTER trigger's result is not used
    END;
$move$ LANGUAGE plpgsql;

CREATE TRIGGER apply_stock_move
AFTER INSERT ON stock_moves
    FOR EACH ROW EXECUTE FUNCTION apply_stock_move();
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE stock_moves;
DROP TABLE stock_items;
DROP FUNCTION apply_stock_move();
-- +goose StatementEnd
