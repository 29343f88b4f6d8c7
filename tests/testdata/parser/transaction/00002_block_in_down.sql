-- +goose Up
UPDATE couriers SET display_name = 'Night crew' WHERE courier_id = 1;

UPDATE couriers SET display_name = 'Cargo bikes' WHERE courier_id = 2;

-- +goose Down
-- +goose StatementBegin
UPDATE couriers SET display_name = 'Night shift' WHERE courier_id = 1;
UPDATE couriers SET display_name = 'Bicycle team' WHERE courier_id = 2;
-- +goose StatementEnd
