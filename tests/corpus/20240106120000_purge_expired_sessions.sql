-- expect: none
-- Sessions older than 30 days are useless; delete them a batch at a time.
-- migrate:up batch:loop batch_size:10000 pause:50ms
DELETE FROM sessions
 WHERE id IN (
   SELECT id FROM sessions
    WHERE expires_at < now() - interval '30 days'
    LIMIT :batch_size
 );
