
   
	

-- +goose Up


CREATE TABLE notifications.outbox (
    id bigint GENERATED ALWAYS AS IDENTITY,

    channel text NOT NULL,


    payload jsonb NOT NULL
);   	


  
-- a whitespace-only line above began this statement, so this comment stays
ALTER TABLE notifications.outbox ADD PRIMARY KEY (id);

-- +goose StatementBegin


-- dropped: only empty lines and comments so far

CREATE FUNCTION notifications.pending() RETURNS bigint
LANGUAGE sql AS $$

    SELECT count(*) FROM notifications.outbox

$$;

-- kept: inside a block everything after its first line stays; blank lines at the end are trimmed


-- +goose StatementEnd


-- +goose Down


DROP FUNCTION notifications.pending();



DROP TABLE notifications.outbox;


