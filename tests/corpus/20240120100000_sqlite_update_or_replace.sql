-- expect: update-without-where@3
-- migrate:up
UPDATE OR REPLACE settings SET key = lower(key);
