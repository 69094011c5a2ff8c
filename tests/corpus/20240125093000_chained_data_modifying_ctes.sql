-- expect: none
-- migrate:up
WITH closed AS (
    UPDATE tickets SET state = 'closed'
     WHERE state = 'resolved' AND resolved_at < now() - interval '14 days'
    RETURNING id
), logged AS (
    INSERT INTO ticket_events (ticket_id, kind) SELECT id, 'auto_closed' FROM closed
    RETURNING ticket_id
)
SELECT count(*) FROM logged;
