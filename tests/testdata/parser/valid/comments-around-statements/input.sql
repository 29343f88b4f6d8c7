-- +goose Up

CREATE TABLE warehouses (
    warehouse_id integer NOT NULL,
    -- the code printed on labels
    code text
-- closing the column list
);
-- a comment right after a statement
  -- and an indented one

-- notes between statements are dropped

CREATE TABLE warehouse_bins (
    bin_id integer NOT NULL,
    -- which warehouse the bin is in
    warehouse_id integer
    -- end of the columns
);


-- +goose Down
DROP TABLE warehouse_bins;
-- dropped as well
DROP TABLE warehouses;
