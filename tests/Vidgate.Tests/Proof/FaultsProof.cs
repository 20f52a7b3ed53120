using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Tests.Billing;
using Vidgate.Tests.Providers;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Proof;

/// <summary>
/// Issue 13, "Upstream faults": two fake xAI instances (routes in priority order) whose every submit, poll and result
/// fails one time in five, drawn from a seeded <see cref="FakeFaultPlan"/>: 429 with Retry-After, 500, timeouts,
/// connection resets, garbage bodies, and submits whose job is made but whose answer is lost (the ambiguous ones);
/// results behind expired URLs or that are not videos. Run once under each <c>on_ambiguous_submit</c>. Every task must end
/// as the job it was given ended (a completed video, or failed with the code for that result), or - under <c>fail</c> -
/// failed <c>upstream_ambiguous</c> when its submit's answer was lost; refunds exact; nothing stuck; and the upstream
/// jobs made twice are counted: what <c>failover</c> costs and <c>fail</c> does not.
/// Sizes: ./vidgate test 30 tasks per setting; --short 150; long 600.
/// </summary>
[Trait("Proof", "faults")]
[Collection(UpstreamCollection.Name)]
public sealed class FaultsProof
{
    private const long PerSecond = 53_000;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public Task One_upstream_call_in_five_failing_ends_every_task_right_with_exact_refunds_under_both_settings() => TestSeed.RunAsync(async (rng, seed) =>
    {
        var tasks = ProofRun.Pick(30, 150, 600);
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"seed {seed}; {tasks} tasks per setting; two fake xAI instances, each failing 20 % of submits, polls and results; request timeout 2 s.");
        report.AppendLine();
        report.AppendLine("| on_ambiguous_submit | completed | failed (by code) | stuck | submits / faults injected | polls / faults injected | results faulty | ambiguous submits (job made, answer lost) | upstream jobs made twice | failed upstream_ambiguous (of which no job was made) | refunds exact | time (s) |");
        report.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        var failures = new List<string>();
        foreach (var setting in new[] { "failover", "fail" })
        {
            await RunAsync(setting, tasks, rng.Next(), report, failures);
        }

        ProofRun.Report("faults", report.ToString());
        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(20)));
    });

    private static async Task RunAsync(string setting, int tasks, int seed, StringBuilder report, List<string> failures)
    {
        var clock = Stopwatch.StartNew();
        await using var h = await XaiHarness.StartAsync(upstreams: 2, requestTimeoutSeconds: 2);
        var plans = new List<FakeFaultPlan>();
        for (var i = 0; i < h.Fakes.Count; i++)
        {
            var fake = h.Fakes[i];
            var plan = new FakeFaultPlan(seed + i, 0.2);
            plans.Add(plan);
            fake.Options.Plan = plan;
            fake.Options.RetryAfter = TimeSpan.FromSeconds(1);
            fake.Options.Random = new Random(seed - i);
            using var admin = h.App.Admin();
            await Api.OkJsonAsync(await admin.PutAsJsonAsync($"/admin/providers/xai-{i}", new
            {
                type = "xai",
                base_url = fake.BaseUrl.ToString(),
                request_timeout_seconds = 2,
                on_ambiguous_submit = setting,
            }, Ct));
        }

        using (var admin = h.App.Admin())
        {
            await Api.OkJsonAsync(await admin.PutAsJsonAsync("/admin/prices", new { model = "grok-imagine-video", resolution = 480, per_second_micros = PerSecond, per_image_micros = 0 }, Ct));
            await Api.OkJsonAsync(await admin.PutAsJsonAsync("/admin/tiers/faults-x1", new { price_multiplier = 1 }, Ct));
        }

        var (key, account) = await h.App.NewKeyAsync("faults");
        await Books.SetTierAsync(h.App, account, "faults-x1");
        await h.App.TopUpAsync(account, 900_000_000);
        var start = await Books.ReadAsync(h.App, account);
        using var user = h.App.Client(key);

        var random = new Random(seed);
        var prompts = Enumerable.Range(0, tasks).Select(i => $"faults {setting} {seed} task {i} [fake:seconds={(random.Next(2) == 0 ? "0.3" : "0.8")}]").ToList();
        var seconds = prompts.Select(_ => 1 + random.Next(2)).ToList();
        var ids = new string[tasks];
        using (var gate = new SemaphoreSlim(8))
        {
            await Task.WhenAll(Enumerable.Range(0, tasks).Select(async i =>
            {
                await gate.WaitAsync(Ct);
                try
                {
                    ids[i] = (await user.CreateAsync(new { model = "grok-imagine-video", prompt = prompts[i], seconds = seconds[i].ToString(CultureInfo.InvariantCulture), resolution = "480P" }))
                        .GetProperty("id").GetString()!;
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        // Nothing stuck: every task ends within the wait (the deadline is an hour; a stuck task would sit here).
        var ended = new Dictionary<int, JsonElement>();
        var stuckBy = Stopwatch.StartNew();
        while (ended.Count < tasks && stuckBy.Elapsed < TimeSpan.FromSeconds(ProofRun.Pick(90, 240, 600)))
        {
            foreach (var i in Enumerable.Range(0, tasks).Where(i => !ended.ContainsKey(i)))
            {
                var video = await user.GetVideoAsync(ids[i]);
                if (video.GetProperty("status").GetString() is "completed" or "failed" or "cancelled")
                {
                    ended[i] = video;
                }
            }

            await Task.Delay(200, Ct);
        }

        var stuck = tasks - ended.Count;
        Check(failures, stuck == 0, $"{setting}: {stuck} tasks never ended, e.g. {ids[Enumerable.Range(0, tasks).FirstOrDefault(i => !ended.ContainsKey(i))]}");

        // What the upstreams made, per task (each prompt is one task's).
        var made = h.Fakes.SelectMany(f => f.Made).GroupBy(m => m.Body.GetProperty("prompt").GetString()!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var twice = 0;
        var ambiguousFailed = 0;
        var falseAlarms = 0;
        var expectedCharges = 0L;
        foreach (var (i, video) in ended)
        {
            var jobs = made.GetValueOrDefault(prompts[i]) ?? [];
            twice += Math.Max(0, jobs.Count - 1);
            var answered = jobs.Where(j => !j.AnswerLost).ToList();
            var status = video.GetProperty("status").GetString();
            var code = video.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object ? error.GetProperty("code").GetString() : null;
            Check(failures, answered.Count <= 1, $"{setting}: task {ids[i]} has {answered.Count} accepted jobs upstream");

            // The job the server was told about decides how the task ends; with none, only a lost answer under fail explains it.
            var expected = answered.Count == 1
                ? answered[0].ResultFault switch
                {
                    FakeFault.ExpiredUrl => "failed upstream_result_unavailable",
                    FakeFault.NotVideo => "failed upstream_result_invalid",
                    _ => "completed",
                }
                : setting == "fail" ? "failed upstream_ambiguous" : "a job accepted";
            Check(failures, $"{status}{(code is null ? "" : " " + code)}" == expected, $"{setting}: task {ids[i]} ended {status} {code}, expected {expected} (jobs: {jobs.Count}, answers lost: {jobs.Count(j => j.AnswerLost)})");
            if (code == "upstream_ambiguous")
            {
                ambiguousFailed++;
                falseAlarms += jobs.Count == 0 ? 1 : 0;
            }

            if (status == "completed")
            {
                expectedCharges += PerSecond * CrashRig.Seconds(video);
            }
        }

        if (setting == "fail")
        {
            Check(failures, twice == 0, $"fail: {twice} upstream jobs made twice");
        }

        // Refunds: the balance moved by exactly the completed tasks' charges; every other hold went back; none left open.
        var settled = Stopwatch.StartNew();
        Books.State end;
        while ((end = await Books.ReadAsync(h.App, account)) is { Held: not 0 } or { InFlight: not 0 } && settled.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100, Ct);
        }

        var charged = (await Books.LedgerAsync(h.App, account)).GetValueOrDefault("charge");
        var exact = end.Balance == start.Balance - expectedCharges && charged == -expectedCharges && end.Held == 0 && end.InFlight == 0;
        Check(failures, exact, $"{setting}: balance {end.Balance} (start {start.Balance}, expected charges {expectedCharges}, ledger charges {charged}), held {end.Held}, in flight {end.InFlight}");

        var byCode = ended.Values.Where(v => v.GetProperty("status").GetString() != "completed")
            .GroupBy(v => v.GetProperty("error").GetProperty("code").GetString()!, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}");
        var injected = plans.SelectMany(p => p.Injected).GroupBy(f => f.Key.Call).ToDictionary(g => g.Key, g => g.Sum(f => f.Value));
        report.AppendLine(CultureInfo.InvariantCulture,
            $"| {setting} | {ended.Values.Count(v => v.GetProperty("status").GetString() == "completed")} | {string.Join(", ", byCode)} | {stuck} | " +
            $"{h.Fakes.Sum(f => f.Submits)} / {injected.GetValueOrDefault(FakeCall.Submit)} | {h.Fakes.Sum(f => f.Polls)} / {injected.GetValueOrDefault(FakeCall.Poll)} | " +
            $"{injected.GetValueOrDefault(FakeCall.Result)} | {h.Fakes.Sum(f => f.LostAnswers)} | {twice} | {ambiguousFailed} ({falseAlarms}) | {(exact ? "yes" : "NO")} | {clock.Elapsed.TotalSeconds:0} |");
    }

    private static void Check(List<string> failures, bool ok, string failure)
    {
        if (!ok)
        {
            failures.Add(failure);
        }
    }
}
