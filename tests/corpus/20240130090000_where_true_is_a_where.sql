-- expect: none
-- note: a WHERE that bounds nothing is not judged (syntactic rule)
-- The rule is syntactic: a WHERE that bounds nothing is not judged.
-- migrate:up
UPDATE counters SET n = 0 WHERE true;
