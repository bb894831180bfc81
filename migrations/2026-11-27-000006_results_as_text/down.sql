ALTER TABLE scenarios
    ALTER COLUMN techno_economics TYPE json USING techno_economics::json,
    ALTER COLUMN financial_analysis TYPE json USING financial_analysis::json;

ALTER TABLE scenarios ALTER COLUMN user_inputs SET COMPRESSION default;

DO $$
BEGIN
    ALTER TABLE scenarios
        ALTER COLUMN techno_economics SET COMPRESSION lz4,
        ALTER COLUMN financial_analysis SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this PostgreSQL has no lz4: results stay compressed with pglz';
END
$$;
