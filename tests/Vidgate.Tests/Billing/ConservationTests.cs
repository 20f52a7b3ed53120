using System.Net;
using System.Net.Http.Json;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Billing;

/// <summary>Many creates, cancels and failures at once: money is conserved and the balance never goes below zero.</summary>
public sealed class ConservationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Dictionary<int, long> PerSecond = new() { [480] = 50_000, [720] = 70_000 };

    [Fact]
    public Task Concurrent_creates_cancels_and_failures_conserve_money_and_never_overdraw() => TestSeed.RunAsync(RunAsync);

    private static async Task RunAsync(Random rng, int seed)
    {
        var provider = new ScriptedProvider { MaxConcurrency = 4 };
        using var app = new VidgateApp(settings: new() { ["Billing:NewAccountCredit"] = "0" }, services: ScriptedProvider.Replace(provider));
        var (key, account) = await app.NewKeyAsync("busy");
        await Books.SetTierAsync(app, account, "unlimited");
        const long topUp = 3_000_000;
        await app.TopUpAsync(account, topUp);
        using var client = app.Client(key);

        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var samples = SampleAsync(app, account, sampling.Token);

        var plans = Enumerable.Range(0, 60).Select(i =>
        {
            var seconds = rng.Next(1, 11);
            var prompt = rng.Next(6) switch
            {
                0 => $"task {i} fail",
                1 => $"task {i} crash",
                2 => $"task {i} hang",
                3 => $"task {i} short:{rng.Next(1, seconds + 1)}",
                _ => $"task {i} plain",
            };
            return (Prompt: prompt, Seconds: seconds, Resolution: rng.Next(2) == 0 ? 480 : 720, CancelAfterMs: rng.Next(4) == 0 ? rng.Next(0, 50) : -1);
        }).ToList();

        var results = await Task.WhenAll(plans.Select(async plan =>
        {
            var response = await client.PostAsJsonAsync("/v1/videos", new { model = "grok-imagine-video", prompt = plan.Prompt, seconds = plan.Seconds, resolution = $"{plan.Resolution}P" }, Ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                var error = await Api.ErrorAsync(response, HttpStatusCode.PaymentRequired);
                Assert.Equal("insufficient_quota", error.GetProperty("code").GetString());
                return (plan, Id: (string?)null);
            }

            var id = (await Api.OkJsonAsync(response)).GetProperty("id").GetString()!;
            if (plan.CancelAfterMs >= 0)
            {
                await Task.Delay(plan.CancelAfterMs, Ct);
                await client.PostAsync($"/v1/videos/{id}/cancel", null, Ct);
            }

            return (plan, Id: id);
        }));

        foreach (var (plan, id) in results.Where(r => r.Id is not null && r.plan.Prompt.Contains("hang", StringComparison.Ordinal)))
        {
            await client.PostAsync($"/v1/videos/{id}/cancel", null, Ct);
        }

        long expected = 0;
        foreach (var (plan, id) in results.Where(r => r.Id is not null))
        {
            var done = await Books.FinishedAsync(client, id!);
            if (done.GetProperty("status").GetString() == "completed")
            {
                var marker = plan.Prompt.IndexOf("short:", StringComparison.Ordinal);
                var delivered = marker < 0 ? plan.Seconds : int.Parse(plan.Prompt[(marker + 6)..]);
                expected += delivered * PerSecond[plan.Resolution];
            }
        }

        await sampling.CancelAsync();
        var lowest = await samples;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        Books.State state;
        while ((state = await Books.ReadAsync(app, account)).InFlight != 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"holds left open (seed {seed})");
            await Task.Delay(20, Ct);
        }

        var ledger = await Books.LedgerAsync(app, account);
        Assert.True(lowest >= 0, $"the balance went below zero: {lowest} (seed {seed})");
        Assert.Contains(results, r => r.Id is null);
        Assert.Equal((topUp - expected, 0L), (state.Balance, state.Held));
        Assert.Equal(-expected, ledger.GetValueOrDefault("charge"));
    }

    /// <summary>Reads the account while the storm runs; returns the lowest balance seen.</summary>
    private static async Task<long> SampleAsync(VidgateApp app, string account, CancellationToken ct)
    {
        var lowest = long.MaxValue;
        while (!ct.IsCancellationRequested)
        {
            var state = await Books.ReadAsync(app, account);
            Assert.True(state.Held >= 0);
            lowest = Math.Min(lowest, state.Balance);
            try
            {
                await Task.Delay(5, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return lowest;
    }
}
