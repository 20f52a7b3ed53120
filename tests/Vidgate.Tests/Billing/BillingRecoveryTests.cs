using Vidgate.Server.Tasks;
using Vidgate.Server.Workers;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Billing;

/// <summary>Queued cancels, and a crash mid-work: the task keeps its one hold across attempts and is charged once.</summary>
public sealed class BillingRecoveryTests
{
    private const long Cost8s720 = 8 * 70_000;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Dictionary<string, string?> NoWorkers = new() { ["Vidgate:Workers"] = "false", ["Billing:NewAccountCredit"] = "1000000" };

    [Fact]
    public async Task Cancelling_a_queued_task_releases_its_whole_hold()
    {
        using var app = new VidgateApp(settings: NoWorkers);
        var (key, account) = await app.NewKeyAsync();
        using var client = app.Client(key);
        var id = (await client.CreateAsync(new { model = "grok-imagine-video", prompt = "queued", seconds = 8, resolution = "480P" })).GetProperty("id").GetString()!;
        Assert.Equal((1_000_000 - 400_000, 400_000L, 1), Tuple(await Books.ReadAsync(app, account)));

        var cancelled = await Api.OkJsonAsync(await client.PostAsync($"/v1/videos/{id}/cancel", null, Ct));

        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal((1_000_000L, 0L, 0), Tuple(await Books.ReadAsync(app, account)));
    }

    [Fact]
    public async Task A_task_requeued_after_its_node_died_keeps_one_hold_and_is_charged_once()
    {
        var dataDir = Directory.CreateTempSubdirectory("vidgate-billing-crash-").FullName;
        string key, account, id;
        using (var first = new VidgateApp(dataDir, settings: NoWorkers))
        {
            (key, account) = await first.NewKeyAsync();
            await first.TopUpAsync(account, 9_000_000);
            using var client = first.Client(key);
            id = (await client.CreateAsync(new { model = "grok-imagine-video", prompt = "outlives its first node", seconds = 8, resolution = "720P" }))
                .GetProperty("id").GetString()!;

            // A node claims it and dies: its lease is already over, nobody will complete it.
            var store = first.Service<ITaskStore>();
            var now = DateTimeOffset.UtcNow;
            var claimed = await store.TryClaimAsync(["builtin"], "dead-node", now, now.AddSeconds(-1), Ct);
            Assert.Equal(id, claimed?.Id);
            await first.Service<Sweeper>().SweepOnceAsync(Ct);

            Assert.Equal("queued", (await client.GetVideoAsync(id)).GetProperty("status").GetString());
            Assert.Equal((10_000_000 - Cost8s720, Cost8s720, 1), Tuple(await Books.ReadAsync(first, account)));
        }

        var provider = new ScriptedProvider();
        using (var second = new VidgateApp(dataDir, services: ScriptedProvider.Replace(provider)))
        {
            using var client = second.Client(key);
            await client.WaitForAsync(id, "completed");

            var late = await second.Service<ITaskStore>().CompleteAsync(id, "dead-node", DateTimeOffset.UtcNow, null, Ct);

            Assert.False(late);
            Assert.Equal((10_000_000 - Cost8s720, 0L, 0), Tuple(await Books.ReadAsync(second, account)));
            var ledger = await Books.LedgerAsync(second, account);
            Assert.Equal(-Cost8s720, ledger["charge"]);
        }

        Directory.Delete(dataDir, recursive: true);
    }

    private static (long, long, int) Tuple(Books.State s) => (s.Balance, s.Held, s.InFlight);
}
