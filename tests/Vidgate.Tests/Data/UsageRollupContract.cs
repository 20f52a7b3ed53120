using System.Data.Common;
using System.Globalization;
using Vidgate.Contracts;
using Vidgate.Server.Billing;
using Vidgate.Server.Tasks;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Data;

/// <summary>
/// The daily usage rollup (<c>usage_daily</c>) on any engine: after any mix of creates, settles (full and short), failures,
/// cancels, deletes and upstream cost writes, some of them concurrent, the usage report read from the rollup equals a
/// fresh aggregate of the raw holds computed here in C#, for every filter; and a database upgraded to the rollup is
/// backfilled from the holds it already had. The margin report, still aggregated from the holds, is held to the same kind
/// of fresh aggregate (with the provider each task went to), the reference a margin rollup must keep equal to.
/// </summary>
public abstract class UsageRollupContract : StoreContract
{
    private static readonly string[] Builtin = ["builtin"];
    private static readonly string[] Remotes = ["up-a", "up-b", "up-c"];
    private static readonly string[] KeyIds = ["key_a", "key_b"];
    private static readonly string[] ModelIds = ["grok-imagine-video", "sora-2"];

    private protected UsageRollupContract(StoreEngine engine)
        : base(engine)
    {
    }

    /// <summary>SQL that takes the rollup (tables, triggers, functions, its schema version) out, as before the migration.</summary>
    private protected abstract string Unmigrate { get; }

    [Fact]
    public Task The_rollup_equals_a_fresh_aggregate_of_the_holds_after_a_random_mix_of_money_moves() => TestSeed.RunAsync(async (random, _) =>
    {
        var accounts = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            accounts.Add((await NewAccountAsync(10_000 * Money.Unit)).Id);
        }

        var tasks = new List<VideoTask>();
        for (var round = 0; round < 12; round++)
        {
            // Several moves at once: on PostgreSQL concurrent creates and endings are grouped into shared transactions.
            var moves = Enumerable.Range(0, random.Next(1, 7)).Select(_ => MoveAsync(random.Next(), accounts, tasks)).ToList();
            await Task.WhenAll(moves);
            if (round % 4 == 3)
            {
                await AssertRollupMatchesAsync(Engine, random, accounts);
            }
        }

        await AssertRollupMatchesAsync(Engine, random, accounts);
        await AssertRollupMatchesAsync(Engine, random, accounts);
    });

    [Fact]
    public async Task The_migration_backfills_the_rollup_from_the_holds_already_there()
    {
        var account = (await NewAccountAsync(1_000 * Money.Unit)).Id;
        var random = new Random(7);
        var tasks = new List<VideoTask>();
        for (var i = 0; i < 30; i++)
        {
            await MoveAsync(random.Next(), [account], tasks);
        }

        var before = await Engine.Billing.UsageAsync(new UsageFilter(null, null, null, null, null), Ct);
        Assert.NotEmpty(before);
        await Engine.InWriteAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Unmigrate;
            return await command.ExecuteNonQueryAsync(Ct);
        });

        using var upgraded = Engine.OpenAnother();
        Assert.Equal(before, await upgraded.Billing.UsageAsync(new UsageFilter(null, null, null, null, null), Ct));
        await AssertRollupMatchesAsync(upgraded, random, [account]);

        // And the triggers are back: a new create counts.
        var task = NewTask(account: account) with { Id = VideoTask.NewId() };
        Assert.IsType<InsertOutcome.Created>(await upgraded.Tasks.InsertAsync(task, HoldFor(task), Ct));
        Assert.Equal(before.Sum(l => l.Row.Tasks) + 1, (await upgraded.Billing.UsageAsync(new UsageFilter(account, null, null, null, null), Ct)).Sum(l => l.Row.Tasks));
    }

    [Fact]
    public async Task A_holds_group_cannot_be_changed_under_the_rollup()
    {
        var account = (await NewAccountAsync(100 * Money.Unit)).Id;
        var task = NewTask(account: account);
        Assert.IsType<InsertOutcome.Created>(await Engine.Tasks.InsertAsync(task, HoldFor(task), Ct));
        var before = await Engine.Billing.UsageAsync(new UsageFilter(account, null, null, null, null), Ct);

        await Assert.ThrowsAnyAsync<DbException>(() => Engine.InWriteAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"UPDATE holds SET model = 'other' WHERE task_id = '{task.Id}';";
            return await command.ExecuteNonQueryAsync(Ct);
        }));
        Assert.Equal(before, await Engine.Billing.UsageAsync(new UsageFilter(account, null, null, null, null), Ct));
    }

    /// <summary>
    /// The margin report (per UTC day, model and the provider instance that took the task: the upstream job's, else the
    /// task's planned one) equals a fresh aggregate of the raw holds, tasks and upstream jobs computed here in C#, after a
    /// random mix that also hands tasks to remote instances and fails them over, for every filter. The reference any
    /// rollup of the margin must keep equal to.
    /// </summary>
    [Fact]
    public Task The_margin_equals_a_fresh_aggregate_of_the_holds_after_a_random_mix_of_money_moves_and_submits() => TestSeed.RunAsync(async (random, _) =>
    {
        var accounts = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            accounts.Add((await NewAccountAsync(10_000 * Money.Unit)).Id);
        }

        var tasks = new List<VideoTask>();
        for (var round = 0; round < 10; round++)
        {
            var moves = Enumerable.Range(0, random.Next(1, 7)).Select(_ => random.Next(4) == 0 ? SubmitAsync(random.Next()) : MoveAsync(random.Next(), accounts, tasks)).ToList();
            await Task.WhenAll(moves);
            if (round % 3 == 2)
            {
                await AssertMarginMatchesAsync(Engine, random, accounts);
            }
        }

        await AssertMarginMatchesAsync(Engine, random, accounts);
    });

    /// <summary>A remote lane's move: a queued task handed to one instance (again: a failover), then sometimes ended.</summary>
    private async Task SubmitAsync(int seed)
    {
        var random = new Random(seed);
        var owner = "submitter-" + seed;
        if (await Engine.Tasks.TryClaimAsync(Builtin, owner, Now, Now.AddMinutes(5), Ct) is not { } claimed)
        {
            return;
        }

        for (var i = random.Next(1, 3); i > 0; i--)
        {
            await Engine.UpstreamJobs.BeginSubmitAsync(claimed.Id, owner, Remotes[random.Next(Remotes.Length)], 0, Now, Now.AddHours(1), Ct);
        }

        _ = random.Next(3) switch
        {
            0 => await Engine.Tasks.CompleteAsync(claimed.Id, owner, Now, null, null, Ct),
            1 => await Engine.Tasks.FailAsync(claimed.Id, owner, "x", "y", Now, Ct),
            _ => true,
        };
    }

    private static async Task AssertMarginMatchesAsync(StoreEngine engine, Random random, List<string> accounts)
    {
        var expected = await FreshMarginAsync(engine);
        Assert.Equal(SortedMargin(expected.Select(e => e.Line)), SortedMargin(await engine.Billing.MarginAsync(new UsageFilter(null, null, null, null, null), Ct)));

        var days = expected.Select(e => DateOnly.ParseExact(e.Line.Day, "yyyy-MM-dd", CultureInfo.InvariantCulture)).Distinct().Order().ToList();
        for (var i = 0; i < 4; i++)
        {
            var account = random.Next(2) == 0 ? accounts[random.Next(accounts.Count)] : null;
            var model = random.Next(3) == 0 ? ModelIds[random.Next(ModelIds.Length)] : null;
            DateOnly? from = random.Next(2) == 0 && days.Count > 0 ? days[random.Next(days.Count)] : null;
            DateOnly? to = random.Next(2) == 0 && days.Count > 0 ? days[random.Next(days.Count)] : null;
            var fresh = await FreshMarginAsync(engine, account, model, from, to);
            Assert.Equal(SortedMargin(fresh.Select(e => e.Line)), SortedMargin(await engine.Billing.MarginAsync(new UsageFilter(account, null, model, from, to), Ct)));
        }
    }

    private static List<MarginLine> SortedMargin(IEnumerable<MarginLine> lines)
        => [.. lines.OrderBy(l => l.Day, StringComparer.Ordinal).ThenBy(l => l.Model, StringComparer.Ordinal).ThenBy(l => l.Provider ?? "", StringComparer.Ordinal)];

    private sealed record RawMarginHold(string AccountId, string Model, long CreatedAt, long? Charged, long? CostTicks, string? Provider);

    /// <summary>
    /// The margin as the report means it, from the raw rows in C#: per UTC day of the create, model and provider, the tasks
    /// and what they were charged; of those with an upstream cost, their count, charge and cost; of the charged ones without,
    /// their count and charge.
    /// </summary>
    private static async Task<List<(string AccountId, MarginLine Line)>> FreshMarginAsync(
        StoreEngine engine, string? account = null, string? model = null, DateOnly? from = null, DateOnly? to = null)
    {
        var holds = await engine.InWriteAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT h.account_id, h.model, h.created_at, h.charged, h.upstream_cost_usd_ticks,
                       (SELECT j.provider_id FROM upstream_jobs j WHERE j.task_id = h.task_id),
                       (SELECT t.provider FROM tasks t WHERE t.id = h.task_id)
                  FROM holds h;
                """;
            await using var reader = await command.ExecuteReaderAsync(Ct);
            var rows = new List<RawMarginHold>();
            while (await reader.ReadAsync(Ct))
            {
                rows.Add(new RawMarginHold(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetInt64(3),
                    reader.IsDBNull(4) ? null : reader.GetInt64(4), reader.IsDBNull(5) ? (reader.IsDBNull(6) ? null : reader.GetString(6)) : reader.GetString(5)));
            }

            return rows;
        });

        static string DayOf(long ms) => Day(DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime));
        return [.. holds
            .Where(h => (account is null || h.AccountId == account) && (model is null || h.Model == model)
                && (from is not { } f || string.CompareOrdinal(DayOf(h.CreatedAt), Day(f)) >= 0)
                && (to is not { } t || string.CompareOrdinal(DayOf(h.CreatedAt), Day(t)) <= 0))
            .GroupBy(h => (Day: DayOf(h.CreatedAt), h.Model, h.Provider))
            .Select(g =>
            {
                var costed = g.Where(h => h.CostTicks is not null).ToList();
                var unknown = g.Where(h => h.CostTicks is null).ToList();
                return (account ?? "", new MarginLine(g.Key.Day, g.Key.Model, g.Key.Provider, g.Count(), g.Sum(h => h.Charged ?? 0), costed.Count,
                    costed.Sum(h => h.Charged ?? 0), costed.Aggregate(Int128.Zero, (s, h) => s + h.CostTicks!.Value),
                    unknown.Count(h => h.Charged > 0), unknown.Sum(h => h.Charged ?? 0)));
            })];
    }

    /// <summary>One random money move: a create, a claimed task's ending, a cancel, a cost report or a delete.</summary>
    private async Task MoveAsync(int seed, List<string> accounts, List<VideoTask> tasks)
    {
        var random = new Random(seed);
        VideoTask? Pick()
        {
            lock (tasks)
            {
                return tasks.Count == 0 ? null : tasks[random.Next(tasks.Count)];
            }
        }

        switch (random.Next(6))
        {
            case 0 or 1:
                var task = NewTask(account: accounts[random.Next(accounts.Count)], at: Now.AddHours(random.Next(-30, 30)), seconds: random.Next(1, 9)) with
                {
                    KeyId = KeyIds[random.Next(KeyIds.Length)],
                    Model = ModelIds[random.Next(ModelIds.Length)],
                };
                Assert.IsType<InsertOutcome.Created>(await Engine.Tasks.InsertAsync(task, HoldFor(task), Ct));
                lock (tasks)
                {
                    tasks.Add(task);
                }

                break;
            case 2:
                var owner = "owner-" + seed;
                if (await Engine.Tasks.TryClaimAsync(Builtin, owner, Now, Now.AddMinutes(5), Ct) is { } claimed)
                {
                    // A full settle, a short one (part refunded), one that claims more than asked (clamped), or a failure.
                    _ = random.Next(4) switch
                    {
                        0 => await Engine.Tasks.CompleteAsync(claimed.Id, owner, Now, null, null, Ct),
                        1 => await Engine.Tasks.CompleteAsync(claimed.Id, owner, Now, null, random.Next(0, claimed.Seconds), Ct),
                        2 => await Engine.Tasks.CompleteAsync(claimed.Id, owner, Now, null, claimed.Seconds + 5, Ct),
                        _ => await Engine.Tasks.FailAsync(claimed.Id, owner, "x", "y", Now, Ct),
                    };
                }

                break;
            case 3 when Pick() is { } some:
                await Engine.Tasks.CancelAsync(some.Id, some.AccountId, Now, Ct);
                break;
            case 4 when Pick() is { } some:
                // Written again, never added: a second report for the same task replaces the first. Large enough to carry
                // whole dollars and leftover ticks.
                var ticks = random.NextInt64(0, 3 * Money.UsdTicksPerDollar);
                await Engine.InWriteAsync(async connection =>
                {
                    await Engine.Ledger.RecordUpstreamCostAsync(connection, some.Id, ticks, Ct);
                    return 0;
                });
                break;
            case 5 when Pick() is { } some:
                // Deleting a finished video keeps its hold: usage is for good.
                await Engine.Tasks.DeleteFinishedAsync(some.Id, some.AccountId, Ct);
                break;
        }
    }

    /// <summary>The report, unfiltered and under a random filter, against the holds aggregated here.</summary>
    private static async Task AssertRollupMatchesAsync(StoreEngine engine, Random random, List<string> accounts)
    {
        var expected = await FreshUsageAsync(engine);
        Assert.Equal(Sorted(expected), Sorted(await engine.Billing.UsageAsync(new UsageFilter(null, null, null, null, null), Ct)));

        var days = expected.Select(l => DateOnly.ParseExact(l.Row.Day, "yyyy-MM-dd", CultureInfo.InvariantCulture)).Distinct().Order().ToList();
        for (var i = 0; i < 4; i++)
        {
            var filter = new UsageFilter(
                random.Next(2) == 0 ? accounts[random.Next(accounts.Count)] : null,
                random.Next(3) == 0 ? KeyIds[random.Next(KeyIds.Length)] : null,
                random.Next(3) == 0 ? ModelIds[random.Next(ModelIds.Length)] : null,
                random.Next(2) == 0 && days.Count > 0 ? days[random.Next(days.Count)] : null,
                random.Next(2) == 0 && days.Count > 0 ? days[random.Next(days.Count)] : null);
            var want = expected.Where(l => (filter.AccountId is null || l.Row.AccountId == filter.AccountId) && (filter.KeyId is null || l.Row.KeyId == filter.KeyId)
                && (filter.Model is null || l.Row.Model == filter.Model)
                && (filter.From is not { } from || string.CompareOrdinal(l.Row.Day, Day(from)) >= 0)
                && (filter.To is not { } to || string.CompareOrdinal(l.Row.Day, Day(to)) <= 0));
            Assert.Equal(Sorted(want), Sorted(await engine.Billing.UsageAsync(filter, Ct)));
        }
    }

    private static List<UsageLine> Sorted(IEnumerable<UsageLine> lines)
        => [.. lines.OrderBy(l => l.Row.Day, StringComparer.Ordinal).ThenBy(l => l.Row.AccountId, StringComparer.Ordinal)
            .ThenBy(l => l.Row.KeyId, StringComparer.Ordinal).ThenBy(l => l.Row.Model, StringComparer.Ordinal)];

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private sealed record RawHold(
        string AccountId, string KeyId, string Model, long CreatedAt, string State, string? Outcome, int? ActualSeconds, long? Charged, long Amount, long? CostTicks);

    /// <summary>
    /// Usage as the report means it, computed from the raw holds in C# (not by the stores' SQL): per UTC day of the create,
    /// account, key and model, the tasks by outcome, those still held, the seconds and money settled, refunded and held,
    /// and the upstream cost of the tasks that have one.
    /// </summary>
    private static async Task<List<UsageLine>> FreshUsageAsync(StoreEngine engine)
    {
        var holds = await engine.InWriteAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT account_id, key_id, model, created_at, state, outcome, actual_seconds, charged, amount, upstream_cost_usd_ticks FROM holds;
                """;
            await using var reader = await command.ExecuteReaderAsync(Ct);
            var rows = new List<RawHold>();
            while (await reader.ReadAsync(Ct))
            {
                rows.Add(new RawHold(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetInt32(6),
                    reader.IsDBNull(7) ? null : reader.GetInt64(7), reader.GetInt64(8), reader.IsDBNull(9) ? null : reader.GetInt64(9)));
            }

            return rows;
        });

        return [.. holds.GroupBy(h => (Day: Day(DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(h.CreatedAt).UtcDateTime)), h.AccountId, h.KeyId, h.Model))
            .Select(g =>
            {
                var open = g.Where(h => h.State == "held").ToList();
                var closed = g.Where(h => h.State != "held").ToList();
                var costed = g.Where(h => h.CostTicks is not null).ToList();
                var row = new UsageRow(g.Key.AccountId, g.Key.KeyId, g.Key.Model, g.Key.Day, g.Count(),
                    g.Count(h => h.Outcome == "completed"), g.Count(h => h.Outcome == "failed"), g.Count(h => h.Outcome == "cancelled"),
                    closed.Count(h => h.Outcome is not ("completed" or "failed" or "cancelled")), open.Count,
                    g.Where(h => h.State == "settled").Sum(h => (long)(h.ActualSeconds ?? 0)), g.Sum(h => h.Charged ?? 0),
                    closed.Sum(h => h.Amount - (h.Charged ?? 0)), open.Sum(h => h.Amount));
                return new UsageLine(row, new UpstreamCost(costed.Aggregate(Int128.Zero, (s, h) => s + h.CostTicks!.Value), costed.Count));
            })];
    }
}

/// <summary>The daily usage rollup contract on SQLite.</summary>
public sealed class SqliteUsageRollupTests() : UsageRollupContract(new SqliteEngine())
{
    private protected override string Unmigrate => """
        DROP TRIGGER holds_usage_insert;
        DROP TRIGGER holds_usage_update;
        DROP TRIGGER holds_usage_delete;
        DROP TRIGGER holds_group_fixed;
        DROP TABLE usage_daily;
        DELETE FROM schema_version WHERE version = 12;
        """;
}
