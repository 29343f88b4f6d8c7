CREATE TABLE warehouse_bins (
    bin_id integer NOT NULL,
    -- which warehouse the bin is in
    warehouse_id integer
    -- end of the columns
);