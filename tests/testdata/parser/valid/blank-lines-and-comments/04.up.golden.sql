CREATE FUNCTION page_count() RETURNS bigint AS $$
BEGIN
  -- counted on demand
  RETURN (SELECT count(*) FROM help_pages);
END;
$$ LANGUAGE plpgsql;

-- kept: after the statement's first line
  -- kept as well, indented