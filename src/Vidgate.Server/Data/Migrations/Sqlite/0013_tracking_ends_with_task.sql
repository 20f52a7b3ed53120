-- A remote job is "tracking" only while its task is processing: the write that ends the task (complete, fail, cancel, a
-- release) or deletes it ends the job's tracking in the same transaction, so the tracker's due-poll statements read
-- upstream_jobs alone (as on PostgreSQL, migration 0009, where the join made the plans depend on statistics). A job
-- still "submitting" is left as it is: the submit and the reconciler decide about it, as before.
CREATE TRIGGER tasks_end_tracking AFTER UPDATE OF status ON tasks
    WHEN OLD.status = 'processing' AND NEW.status <> 'processing'
BEGIN
    UPDATE upstream_jobs SET phase = 'finished' WHERE task_id = OLD.id AND phase = 'tracking';
END;

CREATE TRIGGER tasks_end_tracking_on_delete AFTER DELETE ON tasks
    WHEN OLD.status = 'processing'
BEGIN
    UPDATE upstream_jobs SET phase = 'finished' WHERE task_id = OLD.id AND phase = 'tracking';
END;

-- Jobs whose task ended before this migration end now.
UPDATE upstream_jobs SET phase = 'finished'
 WHERE phase = 'tracking' AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = upstream_jobs.task_id AND t.status = 'processing');
