-- PostgreSQL schema, numbered on its own (SQLite's 0001-0006 in one step: this engine starts where SQLite is now).
-- Same tables, columns and meanings as on SQLite (see Data/Migrations/Sqlite): times are Unix milliseconds (UTC) in
-- BIGINT, money is BIGINT micro-units of the operator's currency, never floating point.

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE tiers (
    id                  TEXT PRIMARY KEY,
    price_multiplier    BIGINT NOT NULL DEFAULT 1000000,
    allowed_models      TEXT,
    max_seconds         INTEGER,
    max_resolution      INTEGER,
    requests_per_minute INTEGER,
    max_in_flight       INTEGER,
    updated_at          BIGINT NOT NULL
);

INSERT INTO tiers (id, requests_per_minute, max_in_flight, updated_at)
VALUES ('default', 60, 8, (extract(epoch FROM now()) * 1000)::bigint);
INSERT INTO tiers (id, updated_at) VALUES ('unlimited', (extract(epoch FROM now()) * 1000)::bigint);

-- balance: what the account may still spend (open holds already taken off). held / in_flight: open holds. A create
-- takes its hold with one conditional UPDATE of this row: PostgreSQL re-checks the condition on the latest committed
-- balance after waiting for the row lock, so concurrent creates from any number of nodes never overdraw.
CREATE TABLE accounts (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    tier_id    TEXT NOT NULL DEFAULT 'default',
    balance    BIGINT NOT NULL DEFAULT 0,
    held       BIGINT NOT NULL DEFAULT 0,
    in_flight  INTEGER NOT NULL DEFAULT 0,
    unmetered  BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE api_keys (
    id                  TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL REFERENCES accounts(id),
    name                TEXT NOT NULL,
    secret_hash         BYTEA NOT NULL UNIQUE,
    prefix              TEXT NOT NULL,
    is_admin            BOOLEAN NOT NULL,
    created_at          BIGINT NOT NULL,
    revoked_at          BIGINT,
    requests_per_minute INTEGER,
    expires_at          BIGINT
);

-- Ids are "video_" + time-ordered hex (Tasks/Ids.cs), so id order is creation order. COLLATE "C": ids and cursors
-- compare byte-wise, as on SQLite, whatever the database's locale.
CREATE TABLE tasks (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    account_id         TEXT NOT NULL,
    key_id             TEXT NOT NULL,
    dialect            TEXT NOT NULL,
    model              TEXT NOT NULL,
    prompt             TEXT NOT NULL,
    seconds            INTEGER NOT NULL,
    width              INTEGER NOT NULL,
    height             INTEGER NOT NULL,
    aspect_ratio       TEXT NOT NULL,
    resolution         TEXT NOT NULL,
    inputs             TEXT NOT NULL,
    provider           TEXT NOT NULL,
    status             TEXT NOT NULL,
    progress           INTEGER NOT NULL DEFAULT 0,
    attempts           INTEGER NOT NULL DEFAULT 0,
    upstream_id        TEXT,
    lease_owner        TEXT,
    lease_until        BIGINT,
    run_after          BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    started_at         BIGINT,
    completed_at       BIGINT,
    expires_at         BIGINT,
    content_deleted_at BIGINT,
    error_code         TEXT,
    error_message      TEXT,
    remixed_from_id    TEXT
);

CREATE INDEX tasks_queue  ON tasks (run_after, id) WHERE status = 'queued';
CREATE INDEX tasks_owner  ON tasks (account_id, id);
CREATE INDEX tasks_leases ON tasks (lease_until) WHERE status = 'processing';
CREATE INDEX tasks_expiry ON tasks (expires_at) WHERE status = 'completed' AND content_deleted_at IS NULL;

CREATE TABLE prices (
    model       TEXT NOT NULL,
    resolution  INTEGER NOT NULL,
    per_second  BIGINT NOT NULL CHECK (per_second >= 0),
    per_image   BIGINT NOT NULL DEFAULT 0 CHECK (per_image >= 0),
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (model, resolution)
);

INSERT INTO prices (model, resolution, per_second, updated_at)
SELECT m.model, r.resolution, r.per_second, (extract(epoch FROM now()) * 1000)::bigint
  FROM (VALUES ('grok-imagine-video'), ('grok-video-1.5'), ('grok-video-1.5-pro'), ('grok-video-1.5-max'),
               ('grok-video-3'), ('grok-video-3-pro'), ('grok-video-3-max')) AS m (model)
 CROSS JOIN (VALUES (480, 50000), (540, 70000), (720, 70000), (1080, 140000)) AS r (resolution, per_second)
 WHERE m.model <> 'grok-imagine-video' OR r.resolution IN (480, 720);
INSERT INTO prices (model, resolution, per_second, updated_at) VALUES
    ('sora-2', 720, 100000, (extract(epoch FROM now()) * 1000)::bigint),
    ('sora-2-pro', 720, 300000, (extract(epoch FROM now()) * 1000)::bigint),
    ('sora-2-pro', 1024, 500000, (extract(epoch FROM now()) * 1000)::bigint);

-- One hold per task, written with the task, closed once by settle (completed) or release.
CREATE TABLE holds (
    task_id                 TEXT PRIMARY KEY,
    account_id              TEXT NOT NULL,
    key_id                  TEXT NOT NULL,
    model                   TEXT NOT NULL,
    resolution              INTEGER NOT NULL,
    seconds                 INTEGER NOT NULL,
    images                  INTEGER NOT NULL,
    per_second              BIGINT NOT NULL,
    per_image               BIGINT NOT NULL,
    price_multiplier        BIGINT NOT NULL,
    amount                  BIGINT NOT NULL,
    state                   TEXT NOT NULL,
    outcome                 TEXT,
    actual_seconds          INTEGER,
    charged                 BIGINT,
    created_at              BIGINT NOT NULL,
    closed_at               BIGINT,
    upstream_cost_usd_ticks BIGINT
);

CREATE INDEX holds_account ON holds (account_id, created_at);

-- Every movement of money, append-only. Every writer of an account's ledger rows has first updated (so locked) the
-- account row, so per account seq order is commit order and a reader paging by seq misses nothing.
CREATE TABLE ledger (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id TEXT NOT NULL,
    kind       TEXT NOT NULL,
    amount     BIGINT NOT NULL,
    task_id    TEXT,
    reason     TEXT,
    created_at BIGINT NOT NULL
);

CREATE INDEX ledger_account ON ledger (account_id, seq);

CREATE FUNCTION ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are immutable';
END
$$;

CREATE TRIGGER ledger_no_update_or_delete BEFORE UPDATE OR DELETE ON ledger FOR EACH ROW EXECUTE FUNCTION ledger_immutable();

CREATE TABLE idempotency_keys (
    account_id   TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash BYTEA NOT NULL,
    task_id      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (account_id, key)
);

CREATE INDEX idempotency_age ON idempotency_keys (created_at);

CREATE TABLE upstream_providers (
    id         TEXT PRIMARY KEY,
    type       TEXT NOT NULL,
    settings   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE upstream_routes (
    id          TEXT PRIMARY KEY,
    model       TEXT NOT NULL,
    provider_id TEXT NOT NULL REFERENCES upstream_providers(id),
    priority    INTEGER NOT NULL,
    weight      INTEGER NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX upstream_routes_model ON upstream_routes (model, priority);

CREATE TABLE upstream_jobs (
    task_id        TEXT PRIMARY KEY,
    provider_id    TEXT NOT NULL,
    key_index      INTEGER NOT NULL,
    phase          TEXT NOT NULL,
    upstream_id    TEXT,
    state          TEXT,
    submitted_at   BIGINT NOT NULL,
    accepted_at    BIGINT,
    deadline_at    BIGINT NOT NULL,
    next_poll_at   BIGINT NOT NULL,
    polls          INTEGER NOT NULL DEFAULT 0,
    last_progress  INTEGER NOT NULL DEFAULT 0,
    cost_usd_ticks BIGINT
);
CREATE INDEX upstream_jobs_due ON upstream_jobs (next_poll_at) WHERE phase = 'tracking';
CREATE INDEX upstream_jobs_provider ON upstream_jobs (provider_id);
