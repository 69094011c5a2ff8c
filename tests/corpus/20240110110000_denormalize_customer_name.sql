-- expect: none
-- migrate:up
UPDATE orders o
   SET customer_name = c.name
  FROM customers c
 WHERE c.id = o.customer_id
   AND o.customer_name IS NULL;

-- migrate:down
UPDATE orders SET customer_name = NULL WHERE customer_name IS NOT NULL;
