-- The new version reads users.role; fill it before that version starts (PreSync).

-- migrate:up
UPDATE users SET role = CASE WHEN is_manager THEN 'manager' ELSE 'worker' END
 WHERE role IS NULL;

-- migrate:down
UPDATE users SET role = NULL;

-- migrate:verify
SELECT count(*) = 0 FROM users WHERE role IS NULL;
