-- Dashboard sessions (src/Vidgate.Server/Dashboard, docs/dashboard.md): the browser's cookie stands for the API key it
-- was opened with. Only the SHA-256 of the cookie value is kept; revoking the key or the session ends it.
CREATE TABLE dashboard_sessions (
    id_hash    BLOB PRIMARY KEY,
    key_id     TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
) WITHOUT ROWID;
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);
