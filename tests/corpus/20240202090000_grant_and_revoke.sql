-- expect: ddl-statement@3 ddl-statement@7
-- migrate:up
GRANT UPDATE, DELETE ON reports TO reporting;
UPDATE reports SET owner = 'reporting' WHERE owner IS NULL;

-- migrate:down
REVOKE UPDATE, DELETE ON reports FROM reporting;
