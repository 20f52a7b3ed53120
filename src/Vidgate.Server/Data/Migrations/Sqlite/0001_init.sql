CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE accounts (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    name        TEXT NOT NULL,
    secret_hash BLOB NOT NULL UNIQUE,
    prefix      TEXT NOT NULL,
    is_admin    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

-- Times are Unix milliseconds (UTC). Ids are "video_" + time-ordered hex (Tasks/Ids.cs), so id order is creation order.
CREATE TABLE tasks (
    id                 TEXT PRIMARY KEY,
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
    lease_until        INTEGER,
    run_after          INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    started_at         INTEGER,
    completed_at       INTEGER,
    expires_at         INTEGER,
    content_deleted_at INTEGER,
    error_code         TEXT,
    error_message      TEXT
) WITHOUT ROWID;

CREATE INDEX tasks_queue   ON tasks (run_after, id) WHERE status = 'queued';
CREATE INDEX tasks_owner   ON tasks (account_id, id);
CREATE INDEX tasks_leases  ON tasks (lease_until) WHERE status = 'processing';
CREATE INDEX tasks_expiry  ON tasks (expires_at) WHERE status = 'completed' AND content_deleted_at IS NULL;
