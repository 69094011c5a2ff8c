-- expect: none
-- migrate:up
WITH latest AS (
    SELECT DISTINCT ON (account_id) account_id, created_at
      FROM login_events
     WHERE kind = 'success'
     ORDER BY account_id, created_at DESC
)
UPDATE accounts a
   SET last_login_at = latest.created_at
  FROM latest
 WHERE a.id = latest.account_id
   AND a.last_login_at IS NULL;

-- migrate:down
UPDATE accounts SET last_login_at = NULL WHERE last_login_at IS NOT NULL;
