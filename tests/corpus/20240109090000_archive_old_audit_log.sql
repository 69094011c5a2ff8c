-- expect: none
-- migrate:up
WITH moved AS (
    DELETE FROM audit_log
     WHERE created_at < DATE '2021-01-01'
    RETURNING *
)
INSERT INTO audit_log_archive
SELECT * FROM moved;

-- migrate:verify
SELECT count(*) = 0 FROM audit_log WHERE created_at < DATE '2021-01-01';
