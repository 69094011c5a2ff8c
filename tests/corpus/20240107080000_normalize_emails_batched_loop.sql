-- expect: none
-- migrate:up batch:loop batch_size:2000 batch_time:500ms
WITH batch AS (
    SELECT id FROM users
     WHERE email <> lower(email)
     ORDER BY id
     LIMIT :batch_size
       FOR UPDATE SKIP LOCKED
)
UPDATE users u
   SET email = lower(u.email)
  FROM batch
 WHERE u.id = batch.id;
