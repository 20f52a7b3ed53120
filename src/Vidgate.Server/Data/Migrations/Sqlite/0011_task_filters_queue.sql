-- GET /v1/videos?status= (issue #12): an owner's tasks of one state, newest first, without walking every task of the
-- account (a customer with 100,000 completed videos looking for the three that failed). Model and prompt filters use
-- tasks_owner: a model is usually most of an account's tasks, and a substring search cannot use an index anyway.
CREATE INDEX tasks_owner_status ON tasks (account_id, status, id);

-- GET /admin/queue: every unfinished task, oldest first, read every few seconds while an operator watches. A partial
-- index holds only those, so the read costs what the queue holds, not every task ever made.
CREATE INDEX tasks_active ON tasks (id) WHERE status IN ('queued', 'processing');
