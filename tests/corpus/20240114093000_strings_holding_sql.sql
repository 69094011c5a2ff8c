-- expect: none
-- migrate:up
INSERT INTO scheduled_jobs (kind, sql_text)
VALUES ('cleanup', 'DELETE FROM tmp_exports'),
       ('reset',   'UPDATE counters SET n = 0; -- no WHERE');

UPDATE notes SET body = 'see the WHERE clause docs' WHERE id = 42;
UPDATE messages SET body = E'Don\'t forget: WHERE; UPDATE x' WHERE id = 7;
