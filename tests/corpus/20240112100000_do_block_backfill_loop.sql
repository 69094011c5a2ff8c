-- expect: none
-- A DO block that backfills in slices; its body is a string to check.
-- migrate:up transaction:false
DO $$
DECLARE
    touched integer;
BEGIN
    LOOP
        UPDATE accounts SET plan = 'free'
         WHERE id IN (SELECT id FROM accounts WHERE plan IS NULL LIMIT 1000);
        GET DIAGNOSTICS touched = ROW_COUNT;
        EXIT WHEN touched = 0;
        COMMIT;
    END LOOP;
END
$$;
