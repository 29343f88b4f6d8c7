-- +goose Up
SELECT 1;--no
SELECT 2 x--a;
SELECT 3; SELECT 4; -- x
END -- comment ;
;
