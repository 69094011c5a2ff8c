-- expect: indented-marker@2
  -- migrate:up
UPDATE plans SET archived = true WHERE code = 'legacy';
