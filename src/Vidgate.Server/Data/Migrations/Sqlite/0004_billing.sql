-- Billing (docs/billing.md). Money is INTEGER micro-units of the operator's currency (1.00 = 1000000), never REAL.

-- A tier is a plan: price multiplier (millionths: 1000000 = ×1) and limits. NULL limit = none.
CREATE TABLE tiers (
    id                  TEXT PRIMARY KEY,
    price_multiplier    INTEGER NOT NULL DEFAULT 1000000,
    allowed_models      TEXT,
    max_seconds         INTEGER,
    max_resolution      INTEGER,
    requests_per_minute INTEGER,
    max_in_flight       INTEGER,
    updated_at          INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO tiers (id, requests_per_minute, max_in_flight, updated_at) VALUES ('default', 60, 8, unixepoch() * 1000);
INSERT INTO tiers (id, updated_at) VALUES ('unlimited', unixepoch() * 1000);

-- balance: what the account may still spend (open holds already taken off). held / in_flight: open holds, kept in the
-- same statements as the ledger rows so a create can check them without counting.
-- unmetered: usage is recorded but never refused for want of balance (the bootstrap admin's account).
ALTER TABLE accounts ADD COLUMN tier_id   TEXT NOT NULL DEFAULT 'default';
ALTER TABLE accounts ADD COLUMN balance   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN held      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN unmetered INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET unmetered = 1, tier_id = 'unlimited' WHERE id IN (SELECT account_id FROM api_keys WHERE is_admin = 1);

-- A key may narrow its account's tier: its own requests per minute, and an expiry.
ALTER TABLE api_keys ADD COLUMN requests_per_minute INTEGER;
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;

-- Price per second of output for a model at a resolution (short side in pixels), plus a fee per reference image.
CREATE TABLE prices (
    model       TEXT NOT NULL,
    resolution  INTEGER NOT NULL,
    per_second  INTEGER NOT NULL CHECK (per_second >= 0),
    per_image   INTEGER NOT NULL DEFAULT 0 CHECK (per_image >= 0),
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (model, resolution)
) WITHOUT ROWID;

-- Defaults: xAI's public list prices for grok-imagine-video (0.05/s at 480P, 0.07/s at 720P), OpenAI's for sora-2
-- (0.10/s) and sora-2-pro (0.30/s at 720P, 0.50/s at 1024P). Operators edit them with PUT /admin/prices.
INSERT INTO prices (model, resolution, per_second, updated_at)
SELECT m.model, r.resolution, r.per_second, unixepoch() * 1000
  FROM (SELECT 'grok-imagine-video' AS model UNION ALL SELECT 'grok-video-1.5' UNION ALL SELECT 'grok-video-1.5-pro'
        UNION ALL SELECT 'grok-video-1.5-max' UNION ALL SELECT 'grok-video-3' UNION ALL SELECT 'grok-video-3-pro'
        UNION ALL SELECT 'grok-video-3-max') AS m
  JOIN (SELECT 480 AS resolution, 50000 AS per_second UNION ALL SELECT 540, 70000 UNION ALL SELECT 720, 70000
        UNION ALL SELECT 1080, 140000) AS r
 WHERE m.model <> 'grok-imagine-video' OR r.resolution IN (480, 720);
INSERT INTO prices (model, resolution, per_second, updated_at) VALUES
    ('sora-2', 720, 100000, unixepoch() * 1000),
    ('sora-2-pro', 720, 300000, unixepoch() * 1000),
    ('sora-2-pro', 1024, 500000, unixepoch() * 1000);

-- One hold per task (not per attempt): written with the task, closed once by settle (completed) or release.
-- Open holds (state 'held') are money set aside: balance = SUM(ledger.amount) − SUM(open holds).
-- It is also the usage record: what was asked, what was delivered, what was charged.
CREATE TABLE holds (
    task_id          TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL,
    key_id           TEXT NOT NULL,
    model            TEXT NOT NULL,
    resolution       INTEGER NOT NULL,
    seconds          INTEGER NOT NULL,
    images           INTEGER NOT NULL,
    per_second       INTEGER NOT NULL,
    per_image        INTEGER NOT NULL,
    price_multiplier INTEGER NOT NULL,
    amount           INTEGER NOT NULL,
    state            TEXT NOT NULL,
    outcome          TEXT,
    actual_seconds   INTEGER,
    charged          INTEGER,
    created_at       INTEGER NOT NULL,
    closed_at        INTEGER
) WITHOUT ROWID;

CREATE INDEX holds_account ON holds (account_id, created_at);

-- Every movement of money, append-only (a trigger refuses UPDATE and DELETE, so seq never goes back):
-- kind credit (top-up, initial credit), adjust (signed correction), charge (−, a completed video).
CREATE TABLE ledger (
    seq        INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL,
    kind       TEXT NOT NULL,
    amount     INTEGER NOT NULL,
    task_id    TEXT,
    reason     TEXT,
    created_at INTEGER NOT NULL
);

CREATE INDEX ledger_account ON ledger (account_id, seq);

CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger BEGIN SELECT RAISE(ABORT, 'ledger rows are immutable'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger BEGIN SELECT RAISE(ABORT, 'ledger rows are immutable'); END;

-- Idempotency-Key of a create, per account: same key and same request → the same task. Swept after 24 h.
CREATE TABLE idempotency_keys (
    account_id   TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    task_id      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
) WITHOUT ROWID;

CREATE INDEX idempotency_age ON idempotency_keys (created_at);
