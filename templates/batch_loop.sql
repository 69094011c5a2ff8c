-- {{name}} ({{phase}}), created by datamig generate.
-- batch:loop runs `up` again and again, each run in its own transaction, until a run changes
-- no rows. :batch_size is replaced by the batch size (batch_size option or --batch-size).

-- migrate:up batch:loop batch_size:1000 pause:0
-- UPDATE users SET role = 'worker'
--  WHERE id IN (SELECT id FROM users WHERE role IS NULL LIMIT :batch_size);

-- migrate:verify
-- SELECT count(*) = 0 FROM users WHERE role IS NULL;
