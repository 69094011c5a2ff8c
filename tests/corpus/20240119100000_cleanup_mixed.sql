-- expect: update-without-where@6
-- migrate:up
UPDATE subscriptions SET status = 'canceled' WHERE ends_at < now() AND status = 'active';
DELETE FROM subscription_events WHERE subscription_id IN (SELECT id FROM subscriptions WHERE status = 'purged');

UPDATE subscriptions
   SET renewal_reminder_sent = false;

DELETE FROM subscription_drafts WHERE created_at < now() - interval '7 days';
