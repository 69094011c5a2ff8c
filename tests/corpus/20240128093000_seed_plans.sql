-- expect: none
-- migrate:up
INSERT INTO plans (code, name) VALUES ('basic', 'Basic'), ('pro', 'Pro');

-- migrate:down
DELETE FROM plans WHERE code IN ('basic', 'pro');
