-- migrate:up batch:range key:public.users.id batch_size:500 pause:200ms
UPDATE users SET role = 'worker' WHERE id >= :batch_start AND id < :batch_end AND role IS NULL;
-- migrate:verify
SELECT count(*) = 0 FROM users WHERE role IS NULL;
