-- expect: none
-- migrate:up
-- History: this used to be `DELETE FROM notifications;` which wiped everything.
-- Then someone wrote UPDATE notifications SET read = true; -- also without WHERE.
/*
   DELETE FROM notifications;
   UPDATE notifications SET read = true;
   /* nested: UPDATE notifications SET seen = true; */
*/
DELETE FROM notifications
 WHERE created_at < now() - interval '1 year';  -- WHERE present
