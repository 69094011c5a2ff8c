-- expect: none
-- migrate:up
INSERT INTO daily_signups (day, n)
SELECT created_at::date, count(*)
  FROM users
 GROUP BY 1
ON CONFLICT (day) DO UPDATE SET n = excluded.n;

-- migrate:down
DELETE FROM daily_signups WHERE day < DATE '2024-01-15';
