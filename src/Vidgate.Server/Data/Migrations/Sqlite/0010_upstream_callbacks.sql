-- Upstream callbacks (issue #15): the SHA-256 (lower-case hex) of the per-job secret that the callback URL carries,
-- never the secret itself, so a copy of the database cannot wake (or probe) anyone's jobs. NULL: the submit carried no
-- callback URL. Looked up by (provider_id, callback_hash) on every callback.
ALTER TABLE upstream_jobs ADD COLUMN callback_hash TEXT;
CREATE INDEX upstream_jobs_callback ON upstream_jobs (callback_hash) WHERE callback_hash IS NOT NULL;
