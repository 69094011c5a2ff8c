-- expect: none
-- migrate:up
INSERT INTO user_preferences AS p (user_id, theme)
SELECT id, 'light' FROM users
ON CONFLICT (user_id) DO UPDATE
   SET theme = excluded.theme
 WHERE p.theme IS NULL;

INSERT INTO tags (name) VALUES ('legacy') ON CONFLICT DO NOTHING;
