-- expect: none
-- migrate:up
DELETE FROM cart_items ci
 USING carts c
 WHERE c.id = ci.cart_id
   AND c.abandoned_at < now() - interval '90 days';
