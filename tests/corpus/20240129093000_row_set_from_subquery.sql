-- expect: update-without-where@3
-- migrate:up
UPDATE addresses a
   SET (lat, lng) = (SELECT g.lat, g.lng FROM geocodes g WHERE g.address_id = a.id);
