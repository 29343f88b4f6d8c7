DROP TABLE stock_moves;
DROP TABLE stock_items;
DROP FUNCTION apply_stock_move();