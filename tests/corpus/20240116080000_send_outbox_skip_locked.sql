-- expect: none
-- migrate:up
WITH picked AS (
    SELECT id FROM outbox
     WHERE sent_at IS NULL
     ORDER BY id
     LIMIT 1000
       FOR UPDATE SKIP LOCKED
)
UPDATE outbox
   SET sent_at = now()
  FROM picked
 WHERE outbox.id = picked.id;
