-- expect: update-without-where@4
-- migrate:up
UPDATE messages SET body = E'It\'s done WHERE it\'s due' WHERE id = 9;
UPDATE messages SET footer = E'\\ WHERE \\';
