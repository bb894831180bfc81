DROP INDEX calculation_jobs_live_idx;
ALTER TABLE calculation_jobs DROP COLUMN synchronous, DROP COLUMN last_pushed_at, DROP COLUMN pushes;
UPDATE calculation_jobs SET status = 'failed' WHERE status = 'superseded';
ALTER TABLE calculation_jobs DROP CONSTRAINT calculation_jobs_status_check;
ALTER TABLE calculation_jobs ADD CONSTRAINT calculation_jobs_status_check
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed'));
