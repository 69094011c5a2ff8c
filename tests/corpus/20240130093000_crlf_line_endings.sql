-- expect: delete-without-where@5
-- migrate:up
UPDATE devices SET os = 'ios' WHERE os = 'iOS';

DELETE FROM device_tokens;
