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
    PRIMARY KEY (day, account_id, key_id, model)
);

-- GET /v1/usage reads one account's days.
CREATE INDEX usage_daily_account ON usage_daily (account_id, day);

INSERT INTO usage_daily
SELECT to_char(to_timestamp(created_at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), account_id, key_id, model, COUNT(*),
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
 GROUP BY 1, 2, 3, 4;

-- A hold's share of its group, new row's minus old row's (either may be NULL: an insert has no old row, a delete no new
-- one), added in one upsert. Every expression reads a NULL row as 0.
CREATE FUNCTION usage_daily_move(n holds, o holds) RETURNS void LANGUAGE sql AS $$
    INSERT INTO usage_daily AS u
    VALUES (to_char(to_timestamp(COALESCE(n.created_at, o.created_at) / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
            COALESCE(n.account_id, o.account_id), COALESCE(n.key_id, o.key_id), COALESCE(n.model, o.model),
            (CASE WHEN n.task_id IS NOT NULL THEN 1 ELSE 0 END) - (CASE WHEN o.task_id IS NOT NULL THEN 1 ELSE 0 END),
            (CASE WHEN n.outcome = 'completed' THEN 1 ELSE 0 END) - (CASE WHEN o.outcome = 'completed' THEN 1 ELSE 0 END),
            (CASE WHEN n.outcome = 'failed' THEN 1 ELSE 0 END) - (CASE WHEN o.outcome = 'failed' THEN 1 ELSE 0 END),
            (CASE WHEN n.outcome = 'cancelled' THEN 1 ELSE 0 END) - (CASE WHEN o.outcome = 'cancelled' THEN 1 ELSE 0 END),
            (CASE WHEN n.state <> 'held' AND n.outcome NOT IN ('completed', 'failed', 'cancelled') THEN 1 ELSE 0 END)
          - (CASE WHEN o.state <> 'held' AND o.outcome NOT IN ('completed', 'failed', 'cancelled') THEN 1 ELSE 0 END),
            (CASE WHEN n.state = 'held' THEN 1 ELSE 0 END) - (CASE WHEN o.state = 'held' THEN 1 ELSE 0 END),
            (CASE WHEN n.state = 'settled' THEN COALESCE(n.actual_seconds, 0) ELSE 0 END)
          - (CASE WHEN o.state = 'settled' THEN COALESCE(o.actual_seconds, 0) ELSE 0 END),
            COALESCE(n.charged, 0) - COALESCE(o.charged, 0),
            (CASE WHEN n.state <> 'held' THEN COALESCE(n.amount - n.charged, 0) ELSE 0 END)
          - (CASE WHEN o.state <> 'held' THEN COALESCE(o.amount - o.charged, 0) ELSE 0 END),
            (CASE WHEN n.state = 'held' THEN n.amount ELSE 0 END) - (CASE WHEN o.state = 'held' THEN o.amount ELSE 0 END),
            COALESCE(n.upstream_cost_usd_ticks / 10000000000, 0) - COALESCE(o.upstream_cost_usd_ticks / 10000000000, 0),
            COALESCE(n.upstream_cost_usd_ticks % 10000000000, 0) - COALESCE(o.upstream_cost_usd_ticks % 10000000000, 0),
            (CASE WHEN n.upstream_cost_usd_ticks IS NOT NULL THEN 1 ELSE 0 END) - (CASE WHEN o.upstream_cost_usd_ticks IS NOT NULL THEN 1 ELSE 0 END))
    ON CONFLICT (day, account_id, key_id, model) DO UPDATE SET
        tasks = u.tasks + excluded.tasks, completed = u.completed + excluded.completed, failed = u.failed + excluded.failed,
        cancelled = u.cancelled + excluded.cancelled, other = u.other + excluded.other, in_flight = u.in_flight + excluded.in_flight,
        seconds_generated = u.seconds_generated + excluded.seconds_generated, charged = u.charged + excluded.charged,
        refunded = u.refunded + excluded.refunded, held = u.held + excluded.held, cost_dollars = u.cost_dollars + excluded.cost_dollars,
        cost_ticks = u.cost_ticks + excluded.cost_ticks, cost_tasks = u.cost_tasks + excluded.cost_tasks;
$$;

CREATE FUNCTION holds_usage_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM usage_daily_move(NEW, NULL);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM usage_daily_move(NULL, OLD);
    ELSE
        PERFORM usage_daily_move(NEW, OLD);
    END IF;
    RETURN NULL;
END
$$;

-- Deferred to the commit: by then a create or an ending already holds its account's row lock (every write that moves an
-- account's money takes it), so the rollup row, whose group includes the account, is always locked last and after the
-- account. Fired at once instead, a close (hold, then account) and a create (account, then hold) of the same group
-- would take the two locks in opposite orders and could deadlock. It is still the same transaction: exactly once.
CREATE CONSTRAINT TRIGGER holds_usage AFTER INSERT OR UPDATE OR DELETE ON holds
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION holds_usage_track();

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
