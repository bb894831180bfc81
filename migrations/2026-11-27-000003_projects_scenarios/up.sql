CREATE TABLE projects (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_user_id_updated_at_idx ON projects (user_id, updated_at DESC);

CREATE TABLE scenarios (
    id uuid PRIMARY KEY,
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    scenario_name text NOT NULL,
    -- Orders 1-3 plus the unique pair below cap a project at three scenarios in the database
    -- itself: concurrent inserts cannot both win.
    scenario_order integer NOT NULL CHECK (scenario_order BETWEEN 1 AND 3),
    status text NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'calculating', 'calculated', 'failed')),
    process_id integer NOT NULL REFERENCES process_technologies (id),
    feedstock_id integer NOT NULL REFERENCES feedstocks (id),
    country_id integer NOT NULL REFERENCES countries (id),
    user_inputs jsonb NOT NULL DEFAULT '{}'::jsonb,
    techno_economics jsonb,
    financial_analysis jsonb,
    -- Bumped on every change of the inputs; a calculation job carries the revision it was
    -- submitted for and may only write results while it is still current.
    revision bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT scenarios_project_order_key UNIQUE (project_id, scenario_order)
);

CREATE TABLE calculation_jobs (
    id uuid PRIMARY KEY,
    scenario_id uuid NOT NULL REFERENCES scenarios (id) ON DELETE CASCADE,
    revision bigint NOT NULL,
    status text NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    -- Internal failure cause; never returned to clients.
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz
);
CREATE INDEX calculation_jobs_scenario_id_idx ON calculation_jobs (scenario_id);
CREATE INDEX calculation_jobs_status_created_at_idx ON calculation_jobs (status, created_at);
