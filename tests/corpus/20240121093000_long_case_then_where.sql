-- expect: none
-- migrate:up
UPDATE shipments
   SET zone = CASE
                WHEN country IN ('DE', 'AT', 'CH') THEN 'dach'
                WHEN country IN ('FR', 'BE', 'LU') THEN 'west'
                -- a WHERE in a comment inside the CASE
                WHEN country = 'GB' THEN 'uk'
                ELSE 'world'
              END,
       zone_set_at = now()
 -- only the ones never zoned
 WHERE zone IS NULL;
