-- expect: update-without-where@7
-- The WHERE sits in the CTE only: the UPDATE changes every user (the bug this check exists for).
-- migrate:up
WITH inactive AS (
    SELECT id FROM users WHERE last_seen_at < now() - interval '2 years'
)
UPDATE users SET status = 'dormant';
