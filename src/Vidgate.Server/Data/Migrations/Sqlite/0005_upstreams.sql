-- Remote providers (issue #5). Instances and routes are runtime data edited through /admin/providers and /admin/routes.
-- settings: the instance's UpstreamSettings as JSON, API keys included (never returned by the API, never logged).
CREATE TABLE upstream_providers (
    id         TEXT PRIMARY KEY,
    type       TEXT NOT NULL,
    settings   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- A model may have several routes: lowest priority number first, weighted choice among equals.
CREATE TABLE upstream_routes (
    id          TEXT PRIMARY KEY,
    model       TEXT NOT NULL,
    provider_id TEXT NOT NULL REFERENCES upstream_providers(id),
    priority    INTEGER NOT NULL,
    weight      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX upstream_routes_model ON upstream_routes (model, priority);

-- One row per task handed to a remote provider, kept apart from `tasks` so the task table stays the dialects' and
-- billing's. phase: 'submitting' (written BEFORE the paid call: a crash here is reconciled, never resubmitted
-- blindly) → 'tracking' (upstream_id known; polled when next_poll_at is due). Clients see 'processing' throughout.
-- A tracking task's poll is claimed by pushing next_poll_at forward (the poll lease), so two nodes never poll it
-- at once; its terminal transition takes the task lease and goes through the store's CompleteAsync/FailAsync.
CREATE TABLE upstream_jobs (
    task_id       TEXT PRIMARY KEY,
    provider_id   TEXT NOT NULL,
    key_index     INTEGER NOT NULL,
    phase         TEXT NOT NULL,
    upstream_id   TEXT,
    state         TEXT,
    submitted_at  INTEGER NOT NULL,
    accepted_at   INTEGER,
    deadline_at   INTEGER NOT NULL,
    next_poll_at  INTEGER NOT NULL,
    polls         INTEGER NOT NULL DEFAULT 0,
    last_progress INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX upstream_jobs_due ON upstream_jobs (next_poll_at) WHERE phase = 'tracking';
CREATE INDEX upstream_jobs_provider ON upstream_jobs (provider_id);
