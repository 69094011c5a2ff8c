-- expect: delete-without-where@4
-- migrate:up
WITH moved AS (
    DELETE FROM import_rows
    RETURNING *
)
INSERT INTO import_rows_done (id, payload, done_at)
SELECT id, payload, now() FROM moved;
