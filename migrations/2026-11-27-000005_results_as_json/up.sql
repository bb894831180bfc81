-- Calculation results are written once per calculation (tens of KB each) and read back whole;
-- nothing queries inside them. Stored as `json` (validated, kept as the engine wrote it)
-- instead of `jsonb` (parsed into a binary tree on every write), and compressed with lz4
-- instead of pglz, a write costs a fraction of what it did.
ALTER TABLE scenarios
    ALTER COLUMN techno_economics TYPE json USING techno_economics::json,
    ALTER COLUMN financial_analysis TYPE json USING financial_analysis::json;

DO $$
BEGIN
    ALTER TABLE scenarios
        ALTER COLUMN techno_economics SET COMPRESSION lz4,
        ALTER COLUMN financial_analysis SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this PostgreSQL has no lz4: results stay compressed with pglz';
END
$$;
