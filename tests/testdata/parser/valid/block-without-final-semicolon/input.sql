-- +goose Up
-- +goose StatementBegin
CREATE TABLE audit_marks ( mark_id int );
INSERT INTO audit_marks VALUES (1) -- no semicolon: the block still ends at StatementEnd
-- +goose StatementEnd

-- +goose Down
DROP TABLE IF EXISTS audit_marks;
