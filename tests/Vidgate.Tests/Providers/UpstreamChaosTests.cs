using System.Net;
using Vidgate.Tests.Billing;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers;

/// <summary>
/// Two fake xAI instances that answer one call in five with a 429, a 500, a reset or garbage, jobs that end every way xAI
/// can end them, and users deleting, cancelling and remixing meanwhile: every task ends the way its job did, each job is
/// made once, nothing of a deleted task is left, and the books balance.
/// </summary>
[Collection(UpstreamCollection.Name)]
public sealed class UpstreamChaosTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly (string Marker, string Status, string? Code)[] Endings =
    [
        ("", "completed", null),
        ("", "completed", null),
        ("[fake:moderation]", "failed", "moderation_blocked"),
        ("[fake:failed]", "failed", "upstream_failed"),
        ("[fake:expired]", "failed", "upstream_expired"),
        ("[fake:result-404]", "failed", "upstream_result_unavailable"),
        ("[fake:not-video]", "failed", "upstream_result_invalid"),
        ("[fake:reject]", "failed", "moderation_blocked"),
    ];

    [Fact]
    public Task Faulty_upstreams_and_racing_users_end_every_task_as_its_job_did_once_with_nothing_left_behind() => TestSeed.RunAsync(RunAsync);

    private static async Task RunAsync(Random rng, int seed)
    {
        await using var h = await XaiHarness.StartAsync(upstreams: 2, requestTimeoutSeconds: 2);
        foreach (var fake in h.Fakes)
        {
            fake.Options.FaultRate = 0.2;
            fake.Options.RetryAfter = TimeSpan.FromSeconds(1);
            fake.Options.Random = new Random(rng.Next());
        }

        var (key, account) = await h.App.NewKeyAsync("chaos");
        await h.App.TopUpAsync(account, 1_000_000_000);
        await Books.SetTierAsync(h.App, account, "unlimited");
        using var user = h.App.Client(key);
        var statuses = new System.Collections.Concurrent.ConcurrentBag<int>();

        var plans = Enumerable.Range(0, 30).Select(i => (
            Ending: Endings[rng.Next(Endings.Length)],
            Move: rng.Next(6), // 0 delete, 1 cancel, 2 remix once done, else nothing
            DelayMs: rng.Next(0, 1500),
            Seconds: rng.Next(0, 2) == 0 ? "0.3" : "1")).ToList();

        var outcomes = await Task.WhenAll(plans.Select(async (plan, i) =>
        {
            var prompt = $"chaos {i} {plan.Ending.Marker} [fake:seconds={plan.Seconds}]";
            var id = (await user.CreateAsync(new { model = "grok-imagine-video", prompt, seconds = "2", resolution = "480P" })).GetProperty("id").GetString()!;
            await Task.Delay(plan.DelayMs, Ct);
            HttpResponseMessage? response = plan.Move switch
            {
                0 => await user.DeleteAsync($"/v1/videos/{id}", Ct),
                1 => await user.PostAsync($"/v1/videos/{id}/cancel", null, Ct),
                _ => null,
            };
            if (response is not null)
            {
                statuses.Add((int)response.StatusCode);
            }

            return (Plan: plan, Prompt: prompt, Id: id);
        }));

        var remixes = new List<string>();
        foreach (var (plan, _, id) in outcomes)
        {
            if (plan.Move == 0)
            {
                await Api.ErrorAsync(await user.GetAsync($"/v1/videos/{id}", Ct), HttpStatusCode.NotFound);
                continue;
            }

            var done = await Books.FinishedAsync(user, id);
            var status = done.GetProperty("status").GetString();
            if (plan.Move == 1 && status == "cancelled")
            {
                continue;
            }

            // Cancelled too late (already ended) or left alone: the task ended exactly as its upstream job did.
            Assert.True(status == plan.Ending.Status, $"{id} ({plan.Ending.Marker}) ended {done} (seed {seed})");
            if (plan.Ending.Code is { } code)
            {
                Assert.Equal(code, done.GetProperty("error").GetProperty("code").GetString());
            }
            else
            {
                Assert.Equal(48, (await Ffprobe.ProbeAsync(await user.GetByteArrayAsync($"/v1/videos/{id}/content", Ct), Ct)).Frames);
                if (plan.Move == 2)
                {
                    var remix = await user.PostAsync($"/v1/videos/{id}/remix",
                        new StringContent("""{"prompt":"again [fake:seconds=0.3]"}""", System.Text.Encoding.UTF8, "application/json"), Ct);
                    statuses.Add((int)remix.StatusCode);
                    remixes.Add((await Api.OkJsonAsync(remix)).GetProperty("id").GetString()!);
                }
            }
        }

        foreach (var remix in remixes)
        {
            Assert.Equal("completed", (await Books.FinishedAsync(user, remix)).GetProperty("status").GetString());
        }

        Assert.DoesNotContain(statuses, s => s >= 500);

        // Each task's job was made at most once, across both instances, whatever the faults.
        var made = h.Fakes.SelectMany(f => f.Requests.Values).Select(r => r.GetProperty("prompt").GetString()!).ToList();
        foreach (var (_, prompt, id) in outcomes)
        {
            Assert.True(made.Count(p => p == prompt) <= 1, $"{id} was made {made.Count(p => p == prompt)} times upstream (seed {seed})");
        }

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var state = await Books.ReadAsync(h.App, account);
            var orphans = outcomes.Where(o => o.Plan.Move == 0)
                .Where(o => Directory.Exists(Path.Combine(h.App.DataDir, "blobs", "videos", o.Id)) || Directory.Exists(Path.Combine(h.App.DataDir, "blobs", "inputs", o.Id)))
                .Select(o => o.Id).ToList();
            var work = Path.Combine(h.App.DataDir, "work");
            var leftovers = Directory.Exists(work) ? Directory.GetFileSystemEntries(work) : [];
            if (orphans.Count == 0 && leftovers.Length == 0 && state is { Held: 0, InFlight: 0 })
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline,
                $"left behind (seed {seed}): blobs of deleted tasks [{string.Join(", ", orphans)}], work entries [{string.Join(", ", leftovers.Select(Path.GetFileName))}], held {state.Held}, in flight {state.InFlight}");
            await Task.Delay(200, Ct);
        }
    }
}
