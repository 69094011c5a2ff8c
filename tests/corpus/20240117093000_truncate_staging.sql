-- expect: ddl-statement@4
-- TRUNCATE is the schema checks' business (ddl-statement), not these.
-- migrate:up
TRUNCATE staging_imports;
