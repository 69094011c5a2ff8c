-- expect: none
-- The staging table is no longer read; empty it without one long lock.
-- migrate:up batch:loop batch_size:20000
DELETE FROM import_staging
 WHERE ctid = ANY (ARRAY(SELECT ctid FROM import_staging LIMIT :batch_size));

-- A batched section may hold a statement without WHERE: its bound comes from the batch.
-- migrate:down
SELECT 1;
