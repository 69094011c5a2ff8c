-- expect: none
-- migrate:up
DELETE FROM memberships m
 WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = m.user_id);

UPDATE teams t
   SET member_count = sub.n
  FROM (SELECT team_id, count(*) AS n FROM memberships GROUP BY team_id) sub
 WHERE sub.team_id = t.id
RETURNING t.id, t.member_count;
