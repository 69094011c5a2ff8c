-- expect: none
-- note: batched sections are exempt whatever their statements say
-- migrate:up batch:range key:events.id batch_size:50000
DELETE FROM events
 WHERE id BETWEEN :batch_start AND :batch_last
   AND created_at < DATE '2022-01-01';
-- A one-row progress table: no WHERE needed, and a batched section is exempt anyway.
UPDATE events_cleanup_progress SET last_id = :batch_last, updated_at = now();
