-- expect: none
-- migrate:up
UPDATE users u
   SET first_order_at = f.created_at
  FROM users u2
  CROSS JOIN LATERAL (
      SELECT created_at FROM orders o WHERE o.user_id = u2.id ORDER BY created_at LIMIT 1
  ) f
 WHERE u2.id = u.id AND u.first_order_at IS NULL;
