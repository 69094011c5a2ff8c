-- expect: update-without-where@4
-- Every product goes to "misc": the WHERE belongs to the sub-query only.
-- migrate:up
UPDATE products
   SET category_id = (SELECT id FROM categories WHERE slug = 'misc');
