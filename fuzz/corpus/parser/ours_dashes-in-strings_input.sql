-- +goose Up
CREATE TABLE arrows (c text);
COMMENT ON TABLE arrows IS 'Look at this cool arrow -->';

INSERT INTO arrows VALUES ('--;'), ('a -- b');
-- +goose Down
DROP TABLE arrows;
