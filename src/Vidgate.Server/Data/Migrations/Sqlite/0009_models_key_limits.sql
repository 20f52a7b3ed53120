-- The model catalog, edited at runtime through /admin/models (issue #15). spec: the model's limits as JSON (snake case,
-- the fields of the Vidgate:Models configuration). The configuration seeds this table once (settings row
-- 'models_seeded'), so removing every model later does not bring the configured ones back.
CREATE TABLE models (
    name       TEXT PRIMARY KEY,
    spec       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Per-key limits, narrowing the tier's: JSON arrays (NULL: no limit of the key's own).
ALTER TABLE api_keys ADD COLUMN allowed_models TEXT;
ALTER TABLE api_keys ADD COLUMN allowed_ips TEXT;
