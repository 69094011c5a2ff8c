-- expect: delete-without-where@4
-- migrate:up
-- Flags are global from now on.
DELETE FROM feature_flag_overrides;
