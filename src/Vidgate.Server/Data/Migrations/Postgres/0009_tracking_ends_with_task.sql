-- A remote job is "tracking" only while its task is processing: the write that ends the task (complete, fail, cancel, a
-- release) or deletes it ends the job's tracking in the same transaction. The tracker's due-poll statements then read
-- upstream_jobs alone, along upstream_jobs_due, with no join to tasks. The join made their plans depend on statistics:
-- a plan cached while the tables were nearly empty (a fresh database at the start of a burst) nested the whole of one
-- table inside the other, and at 10,000 tasks in flight one "next due" read took 5-60 ms and one claim 5-10 ms
-- (bench pg-tracking, pg_stat_statements and auto_explain; docs/benchmarks.md). A job still "submitting" is left as it
-- is: the submit and the reconciler decide about it, as before.
CREATE FUNCTION tasks_end_tracking() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- tasks.id is COLLATE "C", upstream_jobs.task_id the default collation: compared in the default one, so the
    -- primary key is what finds the row (compared in "C" it could not be used, and the due index was scanned instead).
    UPDATE upstream_jobs SET phase = 'finished' WHERE task_id = OLD.id COLLATE "default" AND phase = 'tracking';
    RETURN NULL;
END
$$;

CREATE TRIGGER tasks_end_tracking AFTER UPDATE OF status ON tasks
    FOR EACH ROW WHEN (OLD.status = 'processing' AND NEW.status <> 'processing') EXECUTE FUNCTION tasks_end_tracking();
CREATE TRIGGER tasks_end_tracking_on_delete AFTER DELETE ON tasks
    FOR EACH ROW WHEN (OLD.status = 'processing') EXECUTE FUNCTION tasks_end_tracking();

-- Jobs whose task ended before this migration (between an ending and its mark, or a crash there) end now.
UPDATE upstream_jobs j SET phase = 'finished'
 WHERE j.phase = 'tracking' AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = j.task_id AND t.status = 'processing');
