-- +goose ENVSUB ON
-- +goose Up
SELECT '$SEMI', '${QUOTE}', '${U:-d}', '${E-d}', '${X:1:2}', '\$X', '$$', '\\';
SELECT '${U?must be set}';
