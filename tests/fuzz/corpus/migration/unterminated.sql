/* header /* nested */ */
-- migrate:up
UPDATE t SET a = 'it''s', b = E'a\'b' WHERE c = $$;$$;
/* open
-- migrate:down
SELECT "open;
-- migrate:verify
SELECT $fn$ x $f$;
