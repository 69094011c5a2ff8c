-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY users_role ON users (role);
-- migrate:down transaction:false
DROP INDEX CONCURRENTLY users_role;
