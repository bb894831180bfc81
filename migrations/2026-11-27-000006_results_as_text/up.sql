-- Results are only ever written by the engine (serde, so always valid JSON) and read back
-- whole. As `json`, PostgreSQL re-parsed every 50 KB result on write to check it: the largest
-- single cost of a job's database work (about a tenth of PostgreSQL's CPU in a drain). As
-- `text` they are stored as sent.
ALTER TABLE scenarios
    ALTER COLUMN techno_economics TYPE text,
    ALTER COLUMN financial_analysis TYPE text;

-- Changing the type resets the column's compression: lz4 again (see the previous migration).
-- The stored inputs (about 1.6 KB, written on every submission) were still compressed with
-- pglz, 1 % of the machine's CPU in a drain: lz4 too.
DO $$
BEGIN
    ALTER TABLE scenarios
        ALTER COLUMN techno_economics SET COMPRESSION lz4,
        ALTER COLUMN financial_analysis SET COMPRESSION lz4,
        ALTER COLUMN user_inputs SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this PostgreSQL has no lz4: results stay compressed with pglz';
END
$$;
