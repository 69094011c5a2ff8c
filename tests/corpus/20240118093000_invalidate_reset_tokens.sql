-- expect: update-without-where@3
-- migrate:up
UPDATE users SET password_reset_token = NULL, password_reset_sent_at = NULL;
