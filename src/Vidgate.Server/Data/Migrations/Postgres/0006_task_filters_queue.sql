-- GET /v1/videos?status= (issue #12): an owner's tasks of one state, newest first, without walking every task of the
-- account. Model and prompt filters use tasks_owner (a substring search cannot use a b-tree anyway).
CREATE INDEX tasks_owner_status ON tasks (account_id, status, id);

-- GET /admin/queue: every unfinished task, oldest first; a partial index holds only those.
CREATE INDEX tasks_active ON tasks (id) WHERE status IN ('queued', 'processing');
