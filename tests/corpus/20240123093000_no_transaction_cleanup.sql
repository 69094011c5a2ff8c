-- expect: delete-without-where@5
-- migrate:up transaction:false
DELETE FROM search_cache WHERE built_at < now() - interval '1 day';
VACUUM (ANALYZE) search_cache;
DELETE FROM search_cache_misses;
