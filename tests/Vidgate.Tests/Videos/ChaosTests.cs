using System.Net;
using System.Text.Json;
using Vidgate.Tests.Billing;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Videos;

/// <summary>
/// Real renders with deletes, cancels, remixes, downloads and lists racing them: afterwards every task is settled, no
/// request answered 5xx, nothing is left behind (files, work folders, ffmpeg processes) for the tasks that are gone, and
/// the books balance.
/// </summary>
public sealed class ChaosTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private enum Move
    {
        Nothing,
        Delete,
        Cancel,
        Download,
        Remix,
    }

    [Fact]
    public Task Deletes_cancels_remixes_and_downloads_racing_real_renders_leave_nothing_behind_and_the_books_balanced() => TestSeed.RunAsync(RunAsync);

    private static async Task RunAsync(Random rng, int seed)
    {
        using var app = new VidgateApp(settings: new() { ["Providers:Builtin:Concurrency"] = "2" });
        var (key, account) = await app.NewKeyAsync("chaos");
        await app.TopUpAsync(account, 1_000_000_000);
        await Books.SetTierAsync(app, account, "unlimited");
        using var client = app.Client(key);
        var statuses = new System.Collections.Concurrent.ConcurrentBag<(string What, int Status)>();

        async Task<HttpResponseMessage> Send(string what, Func<Task<HttpResponseMessage>> send)
        {
            var response = await send();
            statuses.Add((what, (int)response.StatusCode));
            return response;
        }

        var plans = Enumerable.Range(0, 24).Select(i => (
            Move: (Move)rng.Next(5),
            DelayMs: rng.Next(0, 1500),
            Seconds: rng.Next(1, 4),
            Prompt: new[] { "push in", "pan left", "orbit", "tilt up", "static" }[rng.Next(5)])).ToList();

        var outcomes = await Task.WhenAll(plans.Select(async (plan, i) =>
        {
            var created = await client.CreateAsync(new { model = "grok-imagine-video", prompt = $"{plan.Prompt} {i}", seconds = plan.Seconds, resolution = "480P" });
            var id = created.GetProperty("id").GetString()!;
            await Task.Delay(plan.DelayMs, Ct);
            string? remix = null;
            switch (plan.Move)
            {
                case Move.Delete:
                    await Send("delete", () => client.DeleteAsync($"/v1/videos/{id}", Ct));
                    break;
                case Move.Cancel:
                    await Send("cancel", () => client.PostAsync($"/v1/videos/{id}/cancel", null, Ct));
                    break;
                case Move.Download:
                    for (var n = 0; n < 5; n++)
                    {
                        await Send("content", () => client.GetAsync($"/v1/videos/{id}/content", Ct));
                        await Send("list", () => client.GetAsync("/v1/videos?limit=5", Ct));
                        await Task.Delay(100, Ct);
                    }

                    break;
                case Move.Remix:
                    var response = await Send("remix", () => client.PostAsync(
                        $"/v1/videos/{id}/remix", new StringContent("""{"prompt":"again, at night"}""", System.Text.Encoding.UTF8, "application/json"), Ct));
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        remix = (await Api.OkJsonAsync(response)).GetProperty("id").GetString();
                    }

                    break;
            }

            return (Plan: plan, Id: id, Remix: remix);
        }));

        // Every task that still exists ends settled; deleted ones are gone for good.
        var alive = new List<(string Id, int Seconds)>();
        foreach (var (plan, id, remix) in outcomes)
        {
            if (plan.Move == Move.Delete)
            {
                await Api.ErrorAsync(await client.GetAsync($"/v1/videos/{id}", Ct), HttpStatusCode.NotFound);
            }
            else
            {
                var done = await Books.FinishedAsync(client, id);
                if (done.GetProperty("status").GetString() == "completed")
                {
                    alive.Add((id, plan.Seconds));
                }
                else
                {
                    Assert.True(plan.Move == Move.Cancel, $"{id} ended {done} without being cancelled (seed {seed})");
                }
            }

            if (remix is not null)
            {
                var done = await Books.FinishedAsync(client, remix);
                Assert.Equal("completed", done.GetProperty("status").GetString());
                alive.Add((remix, plan.Seconds));
            }
        }

        Assert.DoesNotContain(statuses, s => s.Status >= 500);
        foreach (var (id, seconds) in alive)
        {
            var probe = await Ffprobe.ProbeAsync(await client.GetByteArrayAsync($"/v1/videos/{id}/content", Ct), Ct);
            Assert.Equal(seconds * 24, probe.Frames);
        }

        // Nothing left behind: no ffmpeg, no work folders, no files of deleted tasks; holds all closed.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var running = outcomes.SelectMany(o => Processes.WithCommandLineContaining(o.Id)).ToList();
            var work = Path.Combine(app.DataDir, "work");
            var leftovers = Directory.Exists(work) ? Directory.GetFileSystemEntries(work) : [];
            var state = await Books.ReadAsync(app, account);
            var orphans = outcomes.Where(o => o.Plan.Move == Move.Delete)
                .Where(o => Directory.Exists(Path.Combine(app.DataDir, "blobs", "videos", o.Id)) || Directory.Exists(Path.Combine(app.DataDir, "blobs", "inputs", o.Id)))
                .Select(o => o.Id).ToList();
            if (running.Count == 0 && leftovers.Length == 0 && orphans.Count == 0 && state is { Held: 0, InFlight: 0 })
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline,
                $"left behind (seed {seed}): ffmpeg {running.Count}, work entries [{string.Join(", ", leftovers.Select(Path.GetFileName))}], "
                + $"blobs of deleted tasks [{string.Join(", ", orphans)}], held {state.Held}, in flight {state.InFlight}");
            await Task.Delay(200, Ct);
        }
    }
}
