-- expect: none
-- migrate:up
UPDATE orders SET status = 'archived' WHERE closed_at < now() - interval '3 years';

-- migrate:verify
SELECT count(*) = 0
  FROM orders
 WHERE closed_at < now() - interval '3 years'
   AND status <> 'archived';
