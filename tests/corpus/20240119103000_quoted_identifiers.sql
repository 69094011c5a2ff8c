-- expect: update-without-where@8
-- note: a column named "where" is no WHERE
-- migrate:up
UPDATE "UserProfiles"
   SET "displayName" = "firstName" || ' ' || "lastName"
 WHERE "displayName" IS NULL;

UPDATE "UserProfiles" SET "where" = 'n/a';
