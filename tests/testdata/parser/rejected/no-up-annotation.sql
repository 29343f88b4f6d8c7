
CREATE TABLE fx_rates (
  currency text PRIMARY KEY
);
