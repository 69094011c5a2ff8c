-- expect: update-without-where@8
-- migrate:up transaction:false
BEGIN;
UPDATE wallets SET balance_cents = balance_cents + 100 WHERE id = 1;
UPDATE wallets SET balance_cents = balance_cents - 100 WHERE id = 2;
COMMIT;
BEGIN;
UPDATE wallet_stats SET recalculated = false;
COMMIT;
