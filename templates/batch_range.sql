-- {{name}} ({{phase}}), created by datamig generate.
-- batch:range reads min/max of the key column once, then runs `up` for consecutive ranges
-- [:batch_start, :batch_end), each in its own transaction together with a checkpoint, so a
-- stopped run resumes where it stopped. Replace users.id with your table's integer key.

-- migrate:up batch:range key:users.id batch_size:1000 pause:0
-- UPDATE users SET role = 'worker'
--  WHERE id >= :batch_start AND id < :batch_end AND role IS NULL;

-- migrate:verify
-- SELECT count(*) = 0 FROM users WHERE role IS NULL;
