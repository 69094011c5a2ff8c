-- expect: none
-- migrate:up
MERGE INTO inventory i
USING restock r ON i.sku = r.sku
WHEN MATCHED THEN
    UPDATE SET qty = i.qty + r.qty
WHEN NOT MATCHED THEN
    INSERT (sku, qty) VALUES (r.sku, r.qty);

-- migrate:down
DELETE FROM inventory WHERE sku IN (SELECT sku FROM restock);
