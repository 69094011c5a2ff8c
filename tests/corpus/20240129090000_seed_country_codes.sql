-- expect: none
-- note: the down deletes every row: not flagged, only `up` is read
-- migrate:up
INSERT INTO country_codes (code, name)
SELECT code, name FROM staging_country_codes;

-- migrate:down
DELETE FROM country_codes;
