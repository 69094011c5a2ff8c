-- expect: ddl-statement@3
-- migrate:up
CREATE OR REPLACE FUNCTION pg_temp.reset_all(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $func$
BEGIN
    EXECUTE format($q$UPDATE %s SET synced = false$q$, tbl);
    EXECUTE 'DELETE FROM ' || tbl || '_log';
END
$func$;
SELECT pg_temp.reset_all('crm_contacts');
