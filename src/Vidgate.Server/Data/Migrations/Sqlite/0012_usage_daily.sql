-- Usage per UTC day (of the hold's create), account, key and model: what GET /v1/usage and GET /admin/usage report, kept
-- as the money moves so a report reads days, not every hold ever (the soak's p99 grew with the holds it scanned).
-- Each column is the sum, over the group's holds, of exactly the expression the report used to compute from `holds`,
-- so the rollup equals a fresh aggregate of the raw rows at every commit. The triggers below keep it: they run inside
-- the statement that changes a hold, so a create, settle, release or cost write and its rollup change commit or roll
-- back together, whichever code path (or a hand-written fix) made the change.
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
    seconds_generated INTEGER NOT NULL,
    charged           INTEGER NOT NULL,
    refunded          INTEGER NOT NULL,
    held              INTEGER NOT NULL,
    cost_dollars      INTEGER NOT NULL,
    cost_ticks        INTEGER NOT NULL,
    cost_tasks        INTEGER NOT NULL,
    PRIMARY KEY (day, account_id, key_id, model)
) WITHOUT ROWID;

-- GET /v1/usage reads one account's days.
CREATE INDEX usage_daily_account ON usage_daily (account_id, day);

INSERT INTO usage_daily
SELECT date(created_at / 1000, 'unixepoch'), account_id, key_id, model, COUNT(*),
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

-- A new hold: one more task in flight, its amount held.
CREATE TRIGGER holds_usage_insert AFTER INSERT ON holds BEGIN
    INSERT INTO usage_daily
    VALUES (date(NEW.created_at / 1000, 'unixepoch'), NEW.account_id, NEW.key_id, NEW.model, 1,
            CASE WHEN NEW.outcome = 'completed' THEN 1 ELSE 0 END, CASE WHEN NEW.outcome = 'failed' THEN 1 ELSE 0 END,
            CASE WHEN NEW.outcome = 'cancelled' THEN 1 ELSE 0 END,
            CASE WHEN NEW.state <> 'held' AND NEW.outcome NOT IN ('completed', 'failed', 'cancelled') THEN 1 ELSE 0 END,
            CASE WHEN NEW.state = 'held' THEN 1 ELSE 0 END,
            CASE WHEN NEW.state = 'settled' THEN COALESCE(NEW.actual_seconds, 0) ELSE 0 END,
            COALESCE(NEW.charged, 0), CASE WHEN NEW.state <> 'held' THEN COALESCE(NEW.amount - NEW.charged, 0) ELSE 0 END,
            CASE WHEN NEW.state = 'held' THEN NEW.amount ELSE 0 END,
            COALESCE(NEW.upstream_cost_usd_ticks / 10000000000, 0), COALESCE(NEW.upstream_cost_usd_ticks % 10000000000, 0),
            CASE WHEN NEW.upstream_cost_usd_ticks IS NOT NULL THEN 1 ELSE 0 END)
    ON CONFLICT (day, account_id, key_id, model) DO UPDATE SET
        tasks = tasks + excluded.tasks, completed = completed + excluded.completed, failed = failed + excluded.failed,
        cancelled = cancelled + excluded.cancelled, other = other + excluded.other, in_flight = in_flight + excluded.in_flight,
        seconds_generated = seconds_generated + excluded.seconds_generated, charged = charged + excluded.charged,
        refunded = refunded + excluded.refunded, held = held + excluded.held, cost_dollars = cost_dollars + excluded.cost_dollars,
        cost_ticks = cost_ticks + excluded.cost_ticks, cost_tasks = cost_tasks + excluded.cost_tasks;
END;

-- A hold's group (account, key, model, day of create) is fixed once written: the update trigger below moves shares within
-- one group only, so a change of group is refused rather than silently miscounted.
CREATE TRIGGER holds_group_fixed BEFORE UPDATE OF account_id, key_id, model, created_at ON holds
WHEN NEW.account_id <> OLD.account_id OR NEW.key_id <> OLD.key_id OR NEW.model <> OLD.model
  OR date(NEW.created_at / 1000, 'unixepoch') <> date(OLD.created_at / 1000, 'unixepoch')
BEGIN
    SELECT RAISE(ABORT, 'a hold''s account, key, model and day are fixed (usage_daily counts it there)');
END;

-- A hold changed (closed, or its upstream cost written): its group gets the new row's share minus the old row's.
CREATE TRIGGER holds_usage_update AFTER UPDATE ON holds BEGIN
    UPDATE usage_daily SET
        completed = completed + (CASE WHEN NEW.outcome = 'completed' THEN 1 ELSE 0 END) - (CASE WHEN OLD.outcome = 'completed' THEN 1 ELSE 0 END),
        failed = failed + (CASE WHEN NEW.outcome = 'failed' THEN 1 ELSE 0 END) - (CASE WHEN OLD.outcome = 'failed' THEN 1 ELSE 0 END),
        cancelled = cancelled + (CASE WHEN NEW.outcome = 'cancelled' THEN 1 ELSE 0 END) - (CASE WHEN OLD.outcome = 'cancelled' THEN 1 ELSE 0 END),
        other = other
            + (CASE WHEN NEW.state <> 'held' AND NEW.outcome NOT IN ('completed', 'failed', 'cancelled') THEN 1 ELSE 0 END)
            - (CASE WHEN OLD.state <> 'held' AND OLD.outcome NOT IN ('completed', 'failed', 'cancelled') THEN 1 ELSE 0 END),
        in_flight = in_flight + (CASE WHEN NEW.state = 'held' THEN 1 ELSE 0 END) - (CASE WHEN OLD.state = 'held' THEN 1 ELSE 0 END),
        seconds_generated = seconds_generated
            + (CASE WHEN NEW.state = 'settled' THEN COALESCE(NEW.actual_seconds, 0) ELSE 0 END)
            - (CASE WHEN OLD.state = 'settled' THEN COALESCE(OLD.actual_seconds, 0) ELSE 0 END),
        charged = charged + COALESCE(NEW.charged, 0) - COALESCE(OLD.charged, 0),
        refunded = refunded
            + (CASE WHEN NEW.state <> 'held' THEN COALESCE(NEW.amount - NEW.charged, 0) ELSE 0 END)
            - (CASE WHEN OLD.state <> 'held' THEN COALESCE(OLD.amount - OLD.charged, 0) ELSE 0 END),
        held = held + (CASE WHEN NEW.state = 'held' THEN NEW.amount ELSE 0 END) - (CASE WHEN OLD.state = 'held' THEN OLD.amount ELSE 0 END),
        cost_dollars = cost_dollars + COALESCE(NEW.upstream_cost_usd_ticks / 10000000000, 0) - COALESCE(OLD.upstream_cost_usd_ticks / 10000000000, 0),
        cost_ticks = cost_ticks + COALESCE(NEW.upstream_cost_usd_ticks % 10000000000, 0) - COALESCE(OLD.upstream_cost_usd_ticks % 10000000000, 0),
        cost_tasks = cost_tasks + (CASE WHEN NEW.upstream_cost_usd_ticks IS NOT NULL THEN 1 ELSE 0 END)
            - (CASE WHEN OLD.upstream_cost_usd_ticks IS NOT NULL THEN 1 ELSE 0 END)
     WHERE day = date(NEW.created_at / 1000, 'unixepoch') AND account_id = NEW.account_id AND key_id = NEW.key_id AND model = NEW.model;
END;

-- A hold gone (none are deleted today): its share leaves its group.
CREATE TRIGGER holds_usage_delete AFTER DELETE ON holds BEGIN
    UPDATE usage_daily SET
        tasks = tasks - 1,
        completed = completed - (CASE WHEN OLD.outcome = 'completed' THEN 1 ELSE 0 END),
        failed = failed - (CASE WHEN OLD.outcome = 'failed' THEN 1 ELSE 0 END),
        cancelled = cancelled - (CASE WHEN OLD.outcome = 'cancelled' THEN 1 ELSE 0 END),
        other = other - (CASE WHEN OLD.state <> 'held' AND OLD.outcome NOT IN ('completed', 'failed', 'cancelled') THEN 1 ELSE 0 END),
        in_flight = in_flight - (CASE WHEN OLD.state = 'held' THEN 1 ELSE 0 END),
        seconds_generated = seconds_generated - (CASE WHEN OLD.state = 'settled' THEN COALESCE(OLD.actual_seconds, 0) ELSE 0 END),
        charged = charged - COALESCE(OLD.charged, 0),
        refunded = refunded - (CASE WHEN OLD.state <> 'held' THEN COALESCE(OLD.amount - OLD.charged, 0) ELSE 0 END),
        held = held - (CASE WHEN OLD.state = 'held' THEN OLD.amount ELSE 0 END),
        cost_dollars = cost_dollars - COALESCE(OLD.upstream_cost_usd_ticks / 10000000000, 0),
        cost_ticks = cost_ticks - COALESCE(OLD.upstream_cost_usd_ticks % 10000000000, 0),
        cost_tasks = cost_tasks - (CASE WHEN OLD.upstream_cost_usd_ticks IS NOT NULL THEN 1 ELSE 0 END)
     WHERE day = date(OLD.created_at / 1000, 'unixepoch') AND account_id = OLD.account_id AND key_id = OLD.key_id AND model = OLD.model;
END;
