CREATE FUNCTION tagged() RETURNS text AS $body$
  SELECT 'not the end: $x$;
  $$;';
$body$ LANGUAGE sql;