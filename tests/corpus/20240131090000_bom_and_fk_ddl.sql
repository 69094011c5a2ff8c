-- expect: ddl-statement@3
-- migrate:up
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
    FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE ON UPDATE NO ACTION;
UPDATE orders SET customer_id = NULL WHERE customer_id NOT IN (SELECT id FROM customers);
