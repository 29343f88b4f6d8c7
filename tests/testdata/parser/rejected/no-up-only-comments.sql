-- +goose ENVSUB ON
-- TODO: write the notifications retention migration

-- nothing but comments and annotations so far
