-- expect: update-without-where@3
-- migrate:up
UPDATE shipments
   SET priority = CASE WHEN express THEN 1 ELSE 2 END;
