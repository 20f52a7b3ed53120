-- Usage per UTC day (of the hold's create), account, key and model: what GET /v1/usage and GET /admin/usage report, kept
-- as the money moves so a report reads days, not every hold ever (the soak's p99 grew with the holds it scanned).
-- Each column is the sum, over the group's holds, of exactly the expression the report used to compute from `holds`,
-- so the rollup equals a fresh aggregate of the raw rows after every commit (as SQLite's migration 0012).
-- The upstream cost is kept as whole dollars and leftover ticks, as the report sums it, so no sum overflows 64 bits.
CREATE TABLE usage_daily (
    day               TEXT NOT NULL,
    account_id        TEXT NOT NULL,
    key_id            TEXT NOT NULL,
    model             TEXT NOT NULL,
    -- A group is split over 8 rows by a hash of the task id, so that writes of one account's tasks (a finish's lease
    -- records the upstream cost on the hold) do not all queue on one row lock; a report sums the shards.
    shard             SMALLINT NOT NULL,
    tasks             INTEGER NOT NULL,
    completed         INTEGER NOT NULL,
    failed            INTEGER NOT NULL,
    cancelled         INTEGER NOT NULL,
    other             INTEGER NOT NULL,
    in_flight         INTEGER NOT NULL,
    seconds_generated BIGINT NOT NULL,
    charged           BIGINT NOT NULL,
    refunded          BIGINT NOT NULL,
    held              BIGINT NOT NULL,
    cost_dollars      BIGINT NOT NULL,
    cost_ticks        BIGINT NOT NULL,
    cost_tasks        INTEGER NOT NULL,
    PRIMARY KEY (day, account_id, key_id, model, shard)
);

-- GET /v1/usage reads one account's days.
CREATE INDEX usage_daily_account ON usage_daily (account_id, day);

INSERT INTO usage_daily
SELECT to_char(to_timestamp(created_at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), account_id, key_id, model, (hashtext(task_id) & 7)::smallint, COUNT(*),
       COUNT(*) FILTER (WHERE outcome = 'completed'), COUNT(*) FILTER (WHERE outcome = 'failed'),
       COUNT(*) FILTER (WHERE outcome = 'cancelled'),
       COUNT(*) FILTER (WHERE state <> 'held' AND outcome NOT IN ('completed', 'failed', 'cancelled')),
       COUNT(*) FILTER (WHERE state = 'held'),
       COALESCE(SUM(CASE WHEN state = 'settled' THEN actual_seconds END), 0),
       COALESCE(SUM(charged), 0), COALESCE(SUM(CASE WHEN state <> 'held' THEN amount - charged END), 0),
       COALESCE(SUM(CASE WHEN state = 'held' THEN amount END), 0),
       COALESCE(SUM(upstream_cost_usd_ticks / 10000000000), 0), COALESCE(SUM(upstream_cost_usd_ticks % 10000000000), 0),
       COUNT(upstream_cost_usd_ticks)
  FROM holds
 GROUP BY 1, 2, 3, 4, 5;

-- One hold's share of its group (the report's expressions for one row), times s: +1 for a row as it is now, -1 for a
-- row as it was before an update or delete.
CREATE FUNCTION usage_daily_share(h holds, s integer) RETURNS usage_daily LANGUAGE sql STABLE AS $$
    SELECT to_char(to_timestamp(h.created_at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), h.account_id, h.key_id, h.model,
           (hashtext(h.task_id) & 7)::smallint, s,
           s * (CASE WHEN h.outcome = 'completed' THEN 1 ELSE 0 END),
           s * (CASE WHEN h.outcome = 'failed' THEN 1 ELSE 0 END),
           s * (CASE WHEN h.outcome = 'cancelled' THEN 1 ELSE 0 END),
           s * (CASE WHEN h.state <> 'held' AND h.outcome NOT IN ('completed', 'failed', 'cancelled') THEN 1 ELSE 0 END),
           s * (CASE WHEN h.state = 'held' THEN 1 ELSE 0 END),
           s * (CASE WHEN h.state = 'settled' THEN COALESCE(h.actual_seconds, 0) ELSE 0 END)::bigint,
           s * COALESCE(h.charged, 0),
           s * (CASE WHEN h.state <> 'held' THEN COALESCE(h.amount - h.charged, 0) ELSE 0 END),
           s * (CASE WHEN h.state = 'held' THEN h.amount ELSE 0 END),
           s * COALESCE(h.upstream_cost_usd_ticks / 10000000000, 0),
           s * COALESCE(h.upstream_cost_usd_ticks % 10000000000, 0),
           s * (CASE WHEN h.upstream_cost_usd_ticks IS NOT NULL THEN 1 ELSE 0 END)
$$;

-- A statement's shares summed per group and added in ONE upsert per group. Statement-level on purpose: a group commit of
-- 256 creates (or a group of endings) of one account touches one rollup row once, not 256 times; row-level upserts of
-- one row inside one transaction each add a version to walk, which halved create throughput in `bench pg`.
-- Lock order: every statement that writes holds runs after its transaction has locked the accounts involved (a create
-- batch locks them before inserting its holds, an ending group before closing them), or touches no account (the
-- upstream cost), so the rollup row is always taken after the account row and the two cannot deadlock.
-- The three branches repeat one upsert on purpose: a transition table is visible only to its own event's trigger, and
-- handing the shares to one shared function as an array measured slower (bench pg-create 0.86-0.98x against 1.10-1.27x).
CREATE FUNCTION holds_usage_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO usage_daily AS u
        SELECT r.day, r.account_id, r.key_id, r.model, r.shard, SUM(r.tasks), SUM(r.completed), SUM(r.failed), SUM(r.cancelled),
               SUM(r.other), SUM(r.in_flight), SUM(r.seconds_generated), SUM(r.charged), SUM(r.refunded), SUM(r.held),
               SUM(r.cost_dollars), SUM(r.cost_ticks), SUM(r.cost_tasks)
          FROM new_holds n CROSS JOIN LATERAL usage_daily_share(n, 1) r
         GROUP BY 1, 2, 3, 4, 5
         ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (day, account_id, key_id, model, shard) DO UPDATE SET
            tasks = u.tasks + excluded.tasks, completed = u.completed + excluded.completed, failed = u.failed + excluded.failed,
            cancelled = u.cancelled + excluded.cancelled, other = u.other + excluded.other, in_flight = u.in_flight + excluded.in_flight,
            seconds_generated = u.seconds_generated + excluded.seconds_generated, charged = u.charged + excluded.charged,
            refunded = u.refunded + excluded.refunded, held = u.held + excluded.held, cost_dollars = u.cost_dollars + excluded.cost_dollars,
            cost_ticks = u.cost_ticks + excluded.cost_ticks, cost_tasks = u.cost_tasks + excluded.cost_tasks;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO usage_daily AS u
        SELECT r.day, r.account_id, r.key_id, r.model, r.shard, SUM(r.tasks), SUM(r.completed), SUM(r.failed), SUM(r.cancelled),
               SUM(r.other), SUM(r.in_flight), SUM(r.seconds_generated), SUM(r.charged), SUM(r.refunded), SUM(r.held),
               SUM(r.cost_dollars), SUM(r.cost_ticks), SUM(r.cost_tasks)
          FROM old_holds o CROSS JOIN LATERAL usage_daily_share(o, -1) r
         GROUP BY 1, 2, 3, 4, 5
         ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (day, account_id, key_id, model, shard) DO UPDATE SET
            tasks = u.tasks + excluded.tasks, completed = u.completed + excluded.completed, failed = u.failed + excluded.failed,
            cancelled = u.cancelled + excluded.cancelled, other = u.other + excluded.other, in_flight = u.in_flight + excluded.in_flight,
            seconds_generated = u.seconds_generated + excluded.seconds_generated, charged = u.charged + excluded.charged,
            refunded = u.refunded + excluded.refunded, held = u.held + excluded.held, cost_dollars = u.cost_dollars + excluded.cost_dollars,
            cost_ticks = u.cost_ticks + excluded.cost_ticks, cost_tasks = u.cost_tasks + excluded.cost_tasks;
    ELSE
        INSERT INTO usage_daily AS u
        SELECT r.day, r.account_id, r.key_id, r.model, r.shard, SUM(r.tasks), SUM(r.completed), SUM(r.failed), SUM(r.cancelled),
               SUM(r.other), SUM(r.in_flight), SUM(r.seconds_generated), SUM(r.charged), SUM(r.refunded), SUM(r.held),
               SUM(r.cost_dollars), SUM(r.cost_ticks), SUM(r.cost_tasks)
          FROM (SELECT x.* FROM new_holds n CROSS JOIN LATERAL usage_daily_share(n, 1) x
                UNION ALL
                SELECT x.* FROM old_holds o CROSS JOIN LATERAL usage_daily_share(o, -1) x) r
         GROUP BY 1, 2, 3, 4, 5
         ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (day, account_id, key_id, model, shard) DO UPDATE SET
            tasks = u.tasks + excluded.tasks, completed = u.completed + excluded.completed, failed = u.failed + excluded.failed,
            cancelled = u.cancelled + excluded.cancelled, other = u.other + excluded.other, in_flight = u.in_flight + excluded.in_flight,
            seconds_generated = u.seconds_generated + excluded.seconds_generated, charged = u.charged + excluded.charged,
            refunded = u.refunded + excluded.refunded, held = u.held + excluded.held, cost_dollars = u.cost_dollars + excluded.cost_dollars,
            cost_ticks = u.cost_ticks + excluded.cost_ticks, cost_tasks = u.cost_tasks + excluded.cost_tasks;
    END IF;
    RETURN NULL;
END
$$;

-- Transition tables need one trigger per event.
CREATE TRIGGER holds_usage_insert AFTER INSERT ON holds REFERENCING NEW TABLE AS new_holds
    FOR EACH STATEMENT EXECUTE FUNCTION holds_usage_apply();
CREATE TRIGGER holds_usage_update AFTER UPDATE ON holds REFERENCING OLD TABLE AS old_holds NEW TABLE AS new_holds
    FOR EACH STATEMENT EXECUTE FUNCTION holds_usage_apply();
CREATE TRIGGER holds_usage_delete AFTER DELETE ON holds REFERENCING OLD TABLE AS old_holds
    FOR EACH STATEMENT EXECUTE FUNCTION holds_usage_apply();

-- A hold's group (account, key, model, day of create) is fixed once written, so the share moves within one group only.
CREATE FUNCTION holds_group_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.account_id <> OLD.account_id OR NEW.key_id <> OLD.key_id OR NEW.model <> OLD.model
       OR to_char(to_timestamp(NEW.created_at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')
          <> to_char(to_timestamp(OLD.created_at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD') THEN
        RAISE EXCEPTION 'a hold''s account, key, model and day are fixed (usage_daily counts it there)';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER holds_group_fixed BEFORE UPDATE OF account_id, key_id, model, created_at ON holds
    FOR EACH ROW EXECUTE FUNCTION holds_group_fixed();
