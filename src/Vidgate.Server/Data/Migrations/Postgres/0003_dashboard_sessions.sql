-- Dashboard sessions: the table of SQLite 0008 (times as Unix milliseconds, as everywhere).
CREATE TABLE dashboard_sessions (
    id_hash    BYTEA PRIMARY KEY,
    key_id     TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);
