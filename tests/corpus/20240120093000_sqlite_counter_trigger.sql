-- expect: ddl-statement@4 ddl-statement@12
-- SQLite: a trigger body's statements belong to the trigger.
-- migrate:up
CREATE TRIGGER comments_count AFTER INSERT ON comments
BEGIN
    UPDATE posts SET comment_count = comment_count + 1 WHERE id = new.post_id;
    UPDATE stats SET total_comments = total_comments + 1;
END;
UPDATE OR IGNORE posts SET comment_count = (SELECT count(*) FROM comments WHERE post_id = posts.id) WHERE comment_count IS NULL;

-- migrate:down
DROP TRIGGER comments_count;
