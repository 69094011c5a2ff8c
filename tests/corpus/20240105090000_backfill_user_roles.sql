-- expect: none
-- note: the down resets every row: not flagged, only `up` is read (a down undoes a backfill)
-- Backfill roles for the new permission model (the SPEC's own example).
-- migrate:up
UPDATE users SET role = CASE WHEN is_manager THEN 'manager' ELSE 'worker' END
 WHERE role IS NULL;

-- migrate:down
UPDATE users SET role = NULL;

-- migrate:verify
SELECT count(*) = 0 FROM users WHERE role IS NULL;
