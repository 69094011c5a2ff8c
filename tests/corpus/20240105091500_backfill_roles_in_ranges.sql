-- expect: none
-- migrate:up batch:range key:users.id batch_size:5000 pause:100ms
UPDATE users
   SET role = CASE WHEN is_manager THEN 'manager' ELSE 'worker' END
 WHERE id BETWEEN :batch_start AND :batch_last
   AND role IS NULL;

-- migrate:down
UPDATE users SET role = NULL WHERE role IS NOT NULL;

-- migrate:verify
SELECT NOT EXISTS (SELECT 1 FROM users WHERE role IS NULL);
