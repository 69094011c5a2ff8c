-- expect: update-without-where@4
-- migrate:up
-- "WHERE" only appears inside strings here.
UPDATE email_templates
   SET body = replace(body, 'WHERE', 'where'),
       subject = 'Updated WHERE you asked';
