-- +goose Up
CREATE TABLE notifications.templates (
    "template key"  text PRIMARY KEY,
    "body;html"     text NOT NULL,
    "say ""hi"""    text,
    subject         text NOT NULL DEFAULT 'Your order; our thanks'
);

INSERT INTO notifications.templates ("template key", "body;html", subject)
VALUES ('order-shipped', '<p>It''s on its way; track it below.</p>', 'Shipped; on time'),
       ('refund-issued', E'Refund sent.\nIt\'s 3-5 days; sorry.\\', E'Refund\t--\tissued');

UPDATE notifications.templates SET subject = 'Dear customer,
your parcel left the depot today.
Regards'
 WHERE "template key" = 'order-shipped';

-- +goose StatementBegin
INSERT INTO notifications.templates ("template key", "body;html", subject) VALUES ('digest', 'Today:
  * two invoices paid;
  * one refund sent;
', 'Daily digest');
-- +goose StatementEnd
SELECT 'a;b', '''', E'\'', "template key" FROM notifications.templates;SELECT 1;

-- +goose Down
DELETE FROM notifications.templates WHERE subject LIKE '%;%';
DROP TABLE notifications.templates;
