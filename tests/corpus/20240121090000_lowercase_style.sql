-- expect: none
-- migrate:up
update users set email = lower(email) where email <> lower(email);
delete from user_tokens where revoked;
with dupes as (select min(id) as keep, email from users group by email having count(*) > 1)
update users u set merged_into = d.keep from dupes d where u.email = d.email and u.id <> d.keep;
