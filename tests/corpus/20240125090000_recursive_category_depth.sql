-- expect: none
-- migrate:up
WITH RECURSIVE tree (id, depth) AS (
    SELECT id, 0 FROM categories WHERE parent_id IS NULL
    UNION ALL
    SELECT c.id, tree.depth + 1 FROM categories c JOIN tree ON c.parent_id = tree.id
)
UPDATE categories
   SET depth = tree.depth
  FROM tree
 WHERE categories.id = tree.id;
