-- expect: none
-- migrate:up
UPDATE posts SET deleted_at = now(), last_update = now()
 WHERE author_id IN (SELECT id FROM users WHERE banned);
SELECT id, last_update, update_count FROM posts WHERE deleted_at IS NOT NULL;
INSERT INTO audit (action, "update", "delete") VALUES ('ban', true, false);
