-- expect: none
-- note: a DO body is not read (SPEC: a dollar-quoted body is a string)
-- Out of scope by design: statements in a DO body are not read (it is a dollar-quoted string).
-- migrate:up
DO $body$
BEGIN
    UPDATE app_settings SET value = 'off';
    DELETE FROM app_setting_overrides;
END
$body$;
