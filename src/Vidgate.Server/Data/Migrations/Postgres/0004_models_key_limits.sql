-- The model catalog, edited at runtime through /admin/models (issue #15); see the SQLite migration 0009.
CREATE TABLE models (
    name       TEXT PRIMARY KEY,
    spec       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Per-key limits, narrowing the tier's: JSON arrays (NULL: no limit of the key's own).
ALTER TABLE api_keys ADD COLUMN allowed_models TEXT;
ALTER TABLE api_keys ADD COLUMN allowed_ips TEXT;
