CREATE TABLE warehouses (
    warehouse_id integer NOT NULL,
    -- the code printed on labels
    code text
-- closing the column list
);