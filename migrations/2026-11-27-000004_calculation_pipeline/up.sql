-- The calculation pipeline (DESIGN.md D3). A job whose scenario got newer inputs before it
-- finished ends as `superseded`; `pushes` counts deliveries handed to the queue, so each
-- re-push gets a fresh task id while a duplicate push of the same delivery is dropped.
ALTER TABLE calculation_jobs DROP CONSTRAINT calculation_jobs_status_check;
ALTER TABLE calculation_jobs ADD CONSTRAINT calculation_jobs_status_check
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'superseded'));
ALTER TABLE calculation_jobs
    ADD COLUMN pushes integer NOT NULL DEFAULT 0,
    ADD COLUMN last_pushed_at timestamptz,
    -- Computed in the API process by calculate/sync rather than by a worker.
    ADD COLUMN synchronous boolean NOT NULL DEFAULT false;
-- The sweeper only ever looks at live jobs.
CREATE INDEX calculation_jobs_live_idx ON calculation_jobs (status, updated_at)
    WHERE status IN ('queued', 'running');
