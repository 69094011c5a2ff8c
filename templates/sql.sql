-- {{name}} ({{phase}}), created by datamig generate.
-- Data migration: change rows here; schema changes belong in your schema migrations.

-- migrate:up
-- UPDATE users SET role = 'worker' WHERE role IS NULL;

-- migrate:down
-- Remove this section if the change cannot be undone (the migration is then irreversible).
-- UPDATE users SET role = NULL WHERE role = 'worker';

-- migrate:verify
-- One query returning true/non-zero when `up` did its job; a false result rolls `up` back.
-- SELECT count(*) = 0 FROM users WHERE role IS NULL;
