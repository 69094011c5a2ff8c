-- expect: ddl-statement@3 ddl-statement@15
-- migrate:up
CREATE OR REPLACE FUNCTION pg_temp.purge_orphan_attachments() RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    n integer;
BEGIN
    DELETE FROM attachments;  -- a body: not read
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$fn$;

SELECT pg_temp.purge_orphan_attachments();
DROP FUNCTION pg_temp.purge_orphan_attachments();
