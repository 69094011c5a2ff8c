-- expect: none
-- known: false-alarm update-without-where@5 (a one-row table; only a database could tell)
-- migrate:up
-- app_singleton holds exactly one row (CHECK (id = 1)): no WHERE is needed.
UPDATE app_singleton SET maintenance_mode = false, maintenance_note = NULL;
