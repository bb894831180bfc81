-- Stored inputs move to the casing of the wire (camelCase, as the dashboard sends them and the
-- engine writes them): the API and the worker then store, compute and answer them as they are,
-- instead of re-keying every document on each submit, poll and scenario read.
--
-- A key is re-cased the way the API re-cased it on the way out: each underscore after the
-- first character is dropped and the character after it upper-cased (`plant_capacity` →
-- `plantCapacity`); keys without underscores stay as they are.
CREATE FUNCTION pg_temp.camel_key(key text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT left(key, 1)
        || coalesce(string_agg(CASE WHEN i = 1 THEN part ELSE upper(left(part, 1)) || substr(part, 2) END,
                               '' ORDER BY i), '')
      FROM unnest(string_to_array(substr(key, 2), '_')) WITH ORDINALITY AS t(part, i)
$$;

CREATE FUNCTION pg_temp.camel_keys(doc jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN CASE jsonb_typeof(doc)
        WHEN 'object' THEN coalesce(
            (SELECT jsonb_object_agg(pg_temp.camel_key(key), pg_temp.camel_keys(value))
               FROM jsonb_each(doc)),
            '{}'::jsonb)
        WHEN 'array' THEN coalesce(
            (SELECT jsonb_agg(pg_temp.camel_keys(item) ORDER BY n)
               FROM jsonb_array_elements(doc) WITH ORDINALITY AS t(item, n)),
            '[]'::jsonb)
        ELSE doc
    END;
END
$$;

UPDATE scenarios SET user_inputs = pg_temp.camel_keys(user_inputs)
 WHERE user_inputs::text LIKE '%\_%';
