using Npgsql;
using Vidgate.Server.Billing;
using Vidgate.Server.Tasks;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Data.Postgres;

/// <summary>
/// Leases of jobs the upstream reported done go in groups on PostgreSQL, each with the cost the upstream reported
/// (<c>PostgresUpstreamJobStore.TryLeaseDoneAsync</c>): two nodes leasing the same jobs at once still give each job to
/// exactly one of them, each job's cost is the winner's, on its job row and its hold, and the usage rollup counts it once.
/// </summary>
public sealed class PostgresLeaseGroupsTests : IDisposable
{
    private static readonly string[] Remote = ["upstream"];
    private readonly PostgresEngine _node1 = new();
    private readonly StoreEngine _node2;

    public PostgresLeaseGroupsTests() => _node2 = _node1.OpenAnother();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DateTimeOffset Now => StoreContract.Now;

    [Fact]
    public Task Two_nodes_leasing_the_same_done_jobs_at_once_each_job_goes_to_one_with_its_cost_recorded_once() => TestSeed.RunAsync(async (rng, _) =>
    {
        var account = (await _node1.Billing.CreateAccountAsync("leases", "default", unmetered: false, Ct))!;
        await _node1.Billing.ChangeBalanceAsync(account.Id, "credit", 1_000 * Money.Unit, "test credit", Ct);
        var tasks = new List<VideoTask>();
        for (var i = 0; i < 120; i++)
        {
            var task = StoreContract.NewTask(account: account.Id, provider: "upstream", seconds: 2);
            Assert.IsType<InsertOutcome.Created>(await _node1.Tasks.InsertAsync(task, StoreContract.HoldFor(task), Ct));
            Assert.NotNull(await _node1.Tasks.TryClaimAsync(Remote, "submitter", Now, Now.AddMinutes(1), Ct));
            Assert.True(await _node1.UpstreamJobs.BeginSubmitAsync(task.Id, "submitter", "xai-1", 0, Now, Now.AddHours(1), Ct));
            Assert.True(await _node1.UpstreamJobs.AcceptedAsync(task.Id, "submitter", "up-" + i, null, Now, Now, null, Ct));
            tasks.Add(task);
        }

        // Some jobs are already leased by a third node whose lease still runs, and one task has ended: neither may be leased.
        var heldElsewhere = tasks.Where((_, i) => i % 10 == 3).Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var id in heldElsewhere)
        {
            Assert.True(await _node1.UpstreamJobs.TryLeaseAsync(id, "third", Now, Now.AddMinutes(5), Ct));
        }

        var ended = tasks[^1].Id;
        Assert.True(await _node1.UpstreamJobs.TryLeaseAsync(ended, "third", Now, Now.AddMinutes(5), Ct));
        Assert.True(await _node1.Tasks.FailAsync(ended, "third", "upstream_failed", "failed", Now, Ct));

        // Each job reported done to both nodes at once, each with its own figure (some without one); each node also
        // asks twice for a few, as a re-poll during the first lease's write would.
        var costs = tasks.ToDictionary(t => t.Id, _ => (One: rng.Next(4) == 0 ? (long?)null : rng.Next(1, 1_000) * 10_000_000L, Two: (long?)(rng.Next(1, 1_000) * 10_000_000L)));
        var at = Now.AddSeconds(1);
        var races = tasks.Select(t => (
            Task: t,
            One: _node1.UpstreamJobs.TryLeaseDoneAsync(t.Id, "node-1", at, at.AddMinutes(1), costs[t.Id].One, Ct),
            Two: _node2.UpstreamJobs.TryLeaseDoneAsync(t.Id, "node-2", at, at.AddMinutes(1), costs[t.Id].Two, Ct),
            Again: rng.Next(8) == 0 ? _node1.UpstreamJobs.TryLeaseDoneAsync(t.Id, "node-1", at, at.AddMinutes(1), costs[t.Id].One, Ct) : null)).ToList();
        await Task.WhenAll(races.SelectMany(r => new[] { r.One, r.Two, r.Again ?? Task.FromResult(false) }));

        var rows = await RowsAsync();
        long expectedCost = 0;
        var costed = 0;
        foreach (var (task, one, two, again) in races)
        {
            var row = rows[task.Id];
            if (heldElsewhere.Contains(task.Id) || task.Id == ended)
            {
                Assert.False(one.Result || two.Result || (again?.Result ?? false), $"{task.Id}: leased by another node or ended");
                Assert.Equal(((long?)null, (long?)null), (row.JobCost, row.HoldCost));
                continue;
            }

            Assert.True(one.Result ^ two.Result, $"{task.Id}: exactly one node leases it");
            var (winner, cost) = one.Result ? ("node-1", costs[task.Id].One) : ("node-2", costs[task.Id].Two);
            Assert.Equal(((string?)winner, cost, cost), (row.Owner, row.JobCost, row.HoldCost));
            if (again is not null)
            {
                // The same node asking again for a job it holds is granted (its lease), never the other's.
                Assert.Equal(one.Result, again.Result);
            }

            if (cost is { } ticks)
            {
                expectedCost += ticks;
                costed++;
            }
        }

        var usage = Assert.Single(await _node2.Billing.UsageAsync(new UsageFilter(account.Id, null, null, null, null), Ct));
        Assert.Equal(((Int128)expectedCost, costed), (usage.UpstreamCost.Ticks, usage.UpstreamCost.Tasks));
    });

    private async Task<Dictionary<string, (string? Owner, long? JobCost, long? HoldCost)>> RowsAsync()
    {
        await using var connection = new NpgsqlConnection(_node1.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("""
            SELECT t.id, t.lease_owner, j.cost_usd_ticks, h.upstream_cost_usd_ticks
              FROM tasks t JOIN upstream_jobs j ON j.task_id = t.id JOIN holds h ON h.task_id = t.id;
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new Dictionary<string, (string?, long?, long?)>(StringComparer.Ordinal);
        while (await reader.ReadAsync(Ct))
        {
            rows[reader.GetString(0)] = (reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetInt64(3));
        }

        return rows;
    }

    public void Dispose()
    {
        _node2.Dispose();
        _node1.Dispose();
    }
}
