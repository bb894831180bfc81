ALTER TABLE scenarios
    ALTER COLUMN techno_economics SET COMPRESSION default,
    ALTER COLUMN financial_analysis SET COMPRESSION default;
ALTER TABLE scenarios
    ALTER COLUMN techno_economics TYPE jsonb USING techno_economics::jsonb,
    ALTER COLUMN financial_analysis TYPE jsonb USING financial_analysis::jsonb;
