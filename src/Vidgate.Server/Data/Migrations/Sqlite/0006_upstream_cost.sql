-- What each remote job cost us upstream, as the upstream reported it (xAI: usage.cost_in_usd_ticks), in integer USD
-- ticks: 1 USD = 10,000,000,000 ticks, never REAL. NULL = the upstream said nothing usable (or the task never reached
-- one). Written in the same write that takes the task for finishing once the upstream said done.
--   upstream_jobs.cost_usd_ticks: the job's own record, next to its instance and upstream id;
--   holds.upstream_cost_usd_ticks: the copy /admin/usage sums, because holds are kept for good (upstream_jobs rows go
--   with their task when a user deletes the video). Never shown to users, never charged.
ALTER TABLE upstream_jobs ADD COLUMN cost_usd_ticks INTEGER;
ALTER TABLE holds ADD COLUMN upstream_cost_usd_ticks INTEGER;
