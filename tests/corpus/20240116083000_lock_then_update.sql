-- expect: none
-- migrate:up
SELECT id FROM accounts WHERE frozen FOR NO KEY UPDATE;
SELECT id FROM ledgers WHERE account_id IN (SELECT id FROM accounts WHERE frozen) FOR UPDATE NOWAIT;
UPDATE accounts SET frozen_at = now() WHERE frozen AND frozen_at IS NULL;
