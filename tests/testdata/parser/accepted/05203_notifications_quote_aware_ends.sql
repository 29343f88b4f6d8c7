-- +goose Up
-- Outside a block, goose ends a statement on any line whose last word ends in
-- ';' and never on a line whose words reach one that starts with "--" first.
-- Here quoting decides instead: no StatementBegin/End needed.
INSERT INTO notifications.outbox (channel, payload) VALUES ('sms', '{"text": "Code: 4711;
valid for 10 minutes;"}');
INSERT INTO notifications.outbox (channel, payload) VALUES ('email', E'{"text": "Don\'t reply;
we won\'t read it"}');
CREATE FUNCTION notifications.purge() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM notifications.outbox WHERE sent_at < now() - interval '30 days';
END;
$$;
CREATE FUNCTION notifications.banner() RETURNS text LANGUAGE sql AS $banner$
    SELECT 'sent with $$;
'
$banner$;
ALTER TABLE notifications.outbox ADD COLUMN "retry;
count" integer NOT NULL DEFAULT 0;
SELECT 1 /* retried at most /* three;
*/ times;
*/;
UPDATE notifications.outbox SET channel = ' -- none' WHERE channel = '';
INSERT INTO notifications.outbox (channel, payload) VALUES ('push', '{"text": "Line one
-- line two"}');

-- +goose Down
ALTER TABLE notifications.outbox DROP COLUMN "retry;
count";
DROP FUNCTION notifications.banner(), notifications.purge();
