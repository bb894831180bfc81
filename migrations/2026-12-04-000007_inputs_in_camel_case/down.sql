-- Back to snake_case keys: each upper-case letter becomes an underscore and its lower case.
CREATE FUNCTION pg_temp.snake_keys(doc jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN CASE jsonb_typeof(doc)
        WHEN 'object' THEN coalesce(
            (SELECT jsonb_object_agg(lower(regexp_replace(key, '([A-Z])', '_\1', 'g')),
                                     pg_temp.snake_keys(value))
               FROM jsonb_each(doc)),
            '{}'::jsonb)
        WHEN 'array' THEN coalesce(
            (SELECT jsonb_agg(pg_temp.snake_keys(item) ORDER BY n)
               FROM jsonb_array_elements(doc) WITH ORDINALITY AS t(item, n)),
            '[]'::jsonb)
        ELSE doc
    END;
END
$$;

UPDATE scenarios SET user_inputs = pg_temp.snake_keys(user_inputs);
