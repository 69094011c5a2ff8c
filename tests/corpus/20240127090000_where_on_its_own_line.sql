-- expect: none
-- migrate:up
UPDATE accounts
   SET tier = 'gold'
-- the WHERE comes after a comment line
WHERE lifetime_value_cents > 100000000;

DELETE
  FROM accounts_pending_review
/* a block comment in the way */
 WHERE reviewed;
