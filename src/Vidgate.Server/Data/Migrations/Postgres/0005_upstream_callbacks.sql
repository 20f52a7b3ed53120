-- Upstream callbacks (issue #15): the SHA-256 (lower-case hex) of the per-job callback secret; see the SQLite migration 0010.
ALTER TABLE upstream_jobs ADD COLUMN callback_hash TEXT;
CREATE INDEX upstream_jobs_callback ON upstream_jobs (callback_hash) WHERE callback_hash IS NOT NULL;
