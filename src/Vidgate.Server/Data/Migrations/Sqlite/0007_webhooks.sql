-- Webhooks (src/Vidgate.Server/Webhooks, docs/webhooks.md). Times are Unix milliseconds; every number is an INTEGER
-- read as a 64-bit value on both engines, so one set of statements serves SQLite and PostgreSQL.

-- A create's optional per-request callback_url: delivered like an endpoint's events, signed with the account's callback secret.
ALTER TABLE tasks ADD COLUMN callback_url TEXT;

-- An account's webhook endpoints. Deleting one keeps the row (deleted_at) so its delivery history stays readable.
CREATE TABLE webhook_endpoints (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL,
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,
    secret          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    disabled_at     INTEGER,
    disabled_reason TEXT,
    -- After a rotation the old secret also signs until previous_secret_until, so receivers can switch without a gap.
    previous_secret       TEXT,
    previous_secret_until INTEGER,
    deleted_at      INTEGER
);
CREATE INDEX webhook_endpoints_account ON webhook_endpoints (account_id, id);

-- Per account: the secret that signs callback_url deliveries (made on first use).
CREATE TABLE webhook_callback_secrets (
    account_id TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- The outbox: one row per (event, destination), written in the same transaction as the task's ending. The body is
-- frozen at the first attempt so every retry sends the same bytes under the same webhook-id (event_id).
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    event_id         TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    task_id          TEXT NOT NULL,
    account_id       TEXT NOT NULL,
    endpoint_id      TEXT,
    url              TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_until      INTEGER,
    body             TEXT,
    last_status_code INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    finished_at      INTEGER
);
CREATE INDEX webhook_deliveries_due      ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_account  ON webhook_deliveries (account_id, id);

-- Every attempt, as an admin needs it to answer "did you send it, and what did we get back".
CREATE TABLE webhook_attempts (
    delivery_id  TEXT NOT NULL,
    attempt      INTEGER NOT NULL,
    attempted_at INTEGER NOT NULL,
    status_code  INTEGER,
    latency_ms   INTEGER NOT NULL,
    error        TEXT,
    PRIMARY KEY (delivery_id, attempt)
);
