using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Tasks;

namespace Vidgate.Tests.Data.Postgres;

/// <summary>
/// Seams without a contract suite of their own, checked by running one script on both engines: PostgreSQL answers
/// exactly what SQLite answers.
/// </summary>
public sealed class PostgresMatchesSqliteTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_upstream_config_store_answers_the_same_on_both_engines()
    {
        using var sqlite = new SqliteEngine();
        using var postgres = new PostgresEngine();
        Assert.Equal(await ConfigScriptAsync(sqlite), await ConfigScriptAsync(postgres));
    }

    private static async Task<List<string>> ConfigScriptAsync(StoreEngine engine)
    {
        var store = engine.UpstreamConfig;
        var now = StoreContract.Now;
        var settings = new UpstreamSettings(
            "xai-main", "xai", new Uri("https://api.example.test/"), ["k1", "k2"], TimeSpan.FromSeconds(30), 4, 2.5,
            new Dictionary<string, string> { ["grok-imagine-video"] = "grok-video" }, null);
        var seen = new List<string>
        {
            $"create {await store.SaveProviderAsync(settings, create: true, now, Ct)}",
            $"create again {await store.SaveProviderAsync(settings, create: true, now, Ct)}",
            $"update {await store.SaveProviderAsync(settings with { MaxConcurrentJobs = 8 }, create: false, now.AddMinutes(1), Ct)}",
            $"update missing {await store.SaveProviderAsync(settings with { Id = "nope" }, create: false, now, Ct)}",
            $"route {await store.AddRouteAsync(new RouteRecord("route_1", "grok-imagine-video", "xai-main", 1, 10, now), Ct)}",
            $"route to missing {await store.AddRouteAsync(new RouteRecord("route_2", "grok-imagine-video", "nope", 1, 10, now), Ct)}",
            $"delete with routes {await store.DeleteProviderAsync("xai-main", Ct)}",
        };
        foreach (var p in await store.ProvidersAsync(Ct))
        {
            var s = p.Settings;
            seen.Add($"provider {s.Id} {s.Type} {s.BaseUrl} {string.Join(',', s.ApiKeys)} {s.MaxConcurrentJobs} {s.MaxRequestsPerSecond} {p.CreatedAt:O} {p.UpdatedAt:O}");
        }

        seen.AddRange((await store.RoutesAsync(Ct)).Select(r => $"{r}"));

        // A task in flight on the instance keeps it.
        var task = StoreContract.NewTask(provider: "xai-main");
        await engine.Tasks.InsertAsync(task, Ct);
        seen.Add($"remote lane claims {(await engine.Tasks.TryClaimExceptAsync(["builtin"], "w", now, now.AddMinutes(1), Ct))?.Id == task.Id}");
        await engine.UpstreamJobs.BeginSubmitAsync(task.Id, "w", "xai-main", 0, now, now.AddHours(1), Ct);
        seen.Add($"delete route {await store.DeleteRouteAsync("route_1", Ct)}");
        seen.Add($"delete route again {await store.DeleteRouteAsync("route_1", Ct)}");
        seen.Add($"delete in use {await store.DeleteProviderAsync("xai-main", Ct)}");
        await engine.Tasks.FailAsync(task.Id, "w", "x", "y", now, Ct);
        seen.Add($"delete {await store.DeleteProviderAsync("xai-main", Ct)}");
        seen.Add($"delete again {await store.DeleteProviderAsync("xai-main", Ct)}");
        seen.Add($"left {(await store.ProvidersAsync(Ct)).Count}");
        return seen;
    }
}
