-- expect: none
-- Enqueue a search reindex for every product changed since the schema change.
-- migrate:up
INSERT INTO job_queue (kind, payload, run_after)
SELECT 'reindex_product', json_build_object('id', p.id), now()
  FROM products p
 WHERE p.updated_at > TIMESTAMP '2024-01-10 00:00:00'
   AND NOT EXISTS (SELECT 1 FROM job_queue q
                    WHERE q.kind = 'reindex_product' AND (q.payload->>'id')::bigint = p.id);

-- migrate:down
DELETE FROM job_queue WHERE kind = 'reindex_product' AND started_at IS NULL;
