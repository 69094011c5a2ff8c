-- expect: update-without-where@3
-- migrate:up
UPDATE billing.invoices SET currency = 'EUR';
UPDATE billing.prices SET currency = 'EUR' WHERE currency = 'DEM';
