-- expect: update-without-where@4
-- migrate:up
-- A join without a WHERE: every user gets the single default row's value.
UPDATE users
   SET locale = d.locale
  FROM defaults d;
