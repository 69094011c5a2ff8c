-- migrate:up
/* outer /* nested */ still comment; */
UPDATE notes SET body = E'it\'s; fine' WHERE body = 'a;b' AND tag = "x;y";
DO $body$ BEGIN PERFORM 1; END $body$;
SELECT $$;$$::text;
