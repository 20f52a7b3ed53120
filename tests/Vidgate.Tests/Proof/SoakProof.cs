using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Proof;

/// <summary>
/// Proof part "soak": one process drives mixed load at a real server process (tiny builtin renders and fake-upstream
/// jobs, polls, ranged downloads, cancels, deletes, admin edits) for a fixed time (suite 20 s, <c>--short</c> 3 min,
/// long 30 min), sampling the server every 2 s (proof runs: 10 s): RSS and open handles from /proc, the GC heap from
/// /metrics, threads, and the p99 latency of the window. Flat means, for each series, the median of the last third is
/// at most the first third's median × 1.5 plus a fixed slack. Latency is reported always and asserted only in proof
/// runs (the suite shares its 2 cores with other builds). A proof run draws docs/img/soak.svg.
/// </summary>
[Trait("Proof", "soak")]
public sealed class SoakProof
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Sample(double At, long Rss, long GcHeap, int Handles, int Threads, double P99Ms, int Requests);

    /// <summary>Series, how to read it, and the absolute slack the flat rule allows on top of ×1.5.</summary>
    private static readonly (string Name, string Unit, Func<Sample, double> Value, double Slack)[] Series =
    [
        ("RSS", "MB", s => s.Rss / 1048576.0, 64),
        ("GC heap", "MB", s => s.GcHeap / 1048576.0, 32),
        ("open handles", "", s => s.Handles, 50),
        ("threads", "", s => s.Threads, 20),
        ("p99 latency", "ms", s => s.P99Ms, 250),
    ];

    [Fact]
    public Task Mixed_load_keeps_memory_handles_threads_and_latency_flat() => TestSeed.RunAsync(async (random, seed) =>
    {
        var duration = ProofRun.Pick(TimeSpan.FromSeconds(20), TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(30));
        var every = ProofRun.Pick(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
        var dataDir = Directory.CreateTempSubdirectory("vidgate-soak-").FullName;
        await using var fake = (await FakeOpenAiUpstream.StartAsync()).WithDurations(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(3));
        await using var server = await ServerProcess.StartAsync(dataDir, null,
            "--Vidgate:Upstreams:MinPollInterval=00:00:00.200", "--Vidgate:Upstreams:MaxPollInterval=00:00:01", "--Vidgate:Upstreams:MaxBlindPollInterval=00:00:01",
            "--Vidgate:Fetch:Allow:0=127.0.0.0/8", "--Logging:LogLevel:Default=Warning");
        using var admin = server.Client(VidgateApp.AdminKey);
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new { id = "fake", type = "openai", base_url = fake.BaseUrl.ToString(), api_keys = new[] { fake.ApiKey }, request_timeout_seconds = 10 }, Ct));
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/routes", new { model = "sora-2", provider = "fake", priority = 0 }, Ct));
        var users = new List<(HttpClient Client, string Account)>();
        for (var i = 0; i < 3; i++)
        {
            var (key, account) = await SecurityServer.NewKeyAsync(admin, "soak-" + i);
            await Api.OkJsonAsync(await admin.PostAsJsonAsync($"/admin/accounts/{account}/top-up", new { amount_micros = 1_000_000_000_000, reason = "soak" }, Ct));
            await Api.OkJsonAsync(await admin.PatchAsJsonAsync($"/admin/accounts/{account}", new { tier = "unlimited" }, Ct));
            users.Add((server.Client(key), account));
        }

        var load = new Load(server, admin, users, seed);
        using var stop = new CancellationTokenSource(duration);
        var samples = new List<Sample>();
        var clock = Stopwatch.StartNew();
        var drivers = Enumerable.Range(0, 4).Select(i => load.DriveAsync(new Random(unchecked(seed + i)), stop.Token)).ToList();
        using var scrape = server.Client(VidgateApp.AdminKey);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            samples.Add(await SampleAsync(server, scrape, load, clock.Elapsed.TotalSeconds));
        }

        await Task.WhenAll(drivers);
        Assert.False(FuzzProof.HasExited(server.ProcessId), "the server died:\n" + server.Output);

        // Nothing stuck: every task the load created ends (the last renders and upstream jobs finish after the load stops).
        var unfinished = await load.DrainAsync(TimeSpan.FromSeconds(ProofRun.Pick(90, 180, 300)));

        var thirds = Math.Max(1, samples.Count / 3);
        var rows = Series.Select(s =>
        {
            var first = Median(samples.Take(thirds).Select(s.Value));
            var last = Median(samples.Skip(samples.Count - thirds).Select(s.Value));
            return (s.Name, s.Unit, First: first, Last: last, Limit: (first * 1.5) + s.Slack);
        }).ToList();
        var report = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"seed {seed}, {duration.TotalMinutes:0.#} min, a sample every {every.TotalSeconds:0} s ({samples.Count} samples), 4 concurrent drivers, 3 accounts")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"requests {load.Requests}, 5xx {load.ServerErrors.Count}, tasks created {load.Created.Count} (builtin {load.Builtin}, upstream {load.Upstream}), ranged downloads {load.Ranges}, cancels {load.Cancels}, deletes {load.Deletes}, admin edits {load.AdminEdits}, unfinished after the drain {unfinished.Count}")
            .AppendLine()
            .AppendLine("| series | median, first third | median, last third | limit (×1.5 + slack) |")
            .AppendLine("|---|---|---|---|");
        foreach (var row in rows)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"| {row.Name} | {row.First:0.#} {row.Unit} | {row.Last:0.#} {row.Unit} | {row.Limit:0.#} {row.Unit} |");
        }

        report.AppendLine()
            .AppendLine("p99 latency by kind of request, first and last third of the run (which kind a change in the p99 above comes from):")
            .AppendLine()
            .AppendLine("| request | count | p99, first third | p99, last third |")
            .AppendLine("|---|---|---|---|");
        var third = duration.TotalSeconds / 3;
        foreach (var kind in load.ByKind.GroupBy(r => r.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var early = kind.Where(r => r.At < third).Select(r => r.Ms).ToList();
            var late = kind.Where(r => r.At >= duration.TotalSeconds - third).Select(r => r.Ms).ToList();
            report.AppendLine(CultureInfo.InvariantCulture, $"| {kind.Key} | {kind.Count()} | {P99(early):0.#} ms | {P99(late):0.#} ms |");
        }

        ProofRun.Report("soak", report.ToString());
        if (ProofRun.IsProof)
        {
            SoakChart.Write(Path.Combine(Repo.Root, "docs", "img", "soak.svg"),
                [.. Series.Select(s => (s.Name, s.Unit, samples.Select(x => (x.At, s.Value(x))).ToList()))], $"soak {ProofRun.Scale}: {duration.TotalMinutes:0.#} min");
        }

        Assert.True(load.ServerErrors.IsEmpty, "5xx answers:\n" + string.Join('\n', load.ServerErrors.Take(20)));
        Assert.True(unfinished.Count == 0, "tasks still not finished: " + string.Join(", ", unfinished));
        Assert.True(load.Created.Count >= 5 && load.Ranges >= 1, $"too little load: {load.Created.Count} tasks, {load.Ranges} ranged downloads");
        Assert.True(samples.Count >= 6, $"only {samples.Count} samples");
        foreach (var row in rows.Where(r => r.Name != "p99 latency" || ProofRun.IsProof))
        {
            Assert.True(row.Last <= row.Limit, $"{row.Name} grew: {row.First:0.#} → {row.Last:0.#} {row.Unit} (limit {row.Limit:0.#})");
        }

        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    });

    private static async Task<Sample> SampleAsync(ServerProcess server, HttpClient scrape, Load load, double at)
    {
        var metrics = await (await scrape.GetAsync("/metrics", Ct)).Content.ReadAsStringAsync(Ct);
        var heap = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("dotnet_gc_heap_bytes", StringComparison.Ordinal)) is { } line
            ? (long)double.Parse(line.Split(' ')[^1], CultureInfo.InvariantCulture)
            : 0;
        var handles = Directory.Exists($"/proc/{server.ProcessId}/fd") ? Directory.GetFileSystemEntries($"/proc/{server.ProcessId}/fd").Length : 0;
        var latencies = load.TakeLatencies();
        return new Sample(at, FuzzProof.ProcStatus(server.ProcessId, "VmRSS") ?? 0, heap, handles, (int)(FuzzProof.ProcStatus(server.ProcessId, "Threads") ?? 0), P99(latencies), latencies.Count);
    }

    private static double P99(List<double> values)
        => values.Count == 0 ? 0 : values.Order().ElementAt(Math.Min(values.Count - 1, (int)Math.Ceiling(values.Count * 0.99) - 1));

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted[sorted.Count / 2];
    }

    /// <summary>The load: what a busy tenant mix does, each step a timed request.</summary>
    private sealed class Load(ServerProcess server, HttpClient admin, List<(HttpClient Client, string Account)> users, int seed)
    {
        private readonly ConcurrentBag<double> _latencies = [];
        private readonly Stopwatch _run = Stopwatch.StartNew();
        private readonly ConcurrentDictionary<string, HttpClient> _open = new(StringComparer.Ordinal);
        private readonly ConcurrentQueue<(string Id, HttpClient Client)> _done = new();
        private int _requests;
        private int _builtin;
        private int _upstream;
        private int _ranges;
        private int _cancels;
        private int _deletes;
        private int _adminEdits;

        public ConcurrentQueue<string> ServerErrors { get; } = new();

        /// <summary>Every request's (seconds into the run, kind, milliseconds): which kind of request a p99 change comes from.</summary>
        public ConcurrentQueue<(double At, string Kind, double Ms)> ByKind { get; } = new();

        public ConcurrentDictionary<string, HttpClient> Created { get; } = new(StringComparer.Ordinal);

        public int Requests => _requests;

        public int Builtin => _builtin;

        public int Upstream => _upstream;

        public int Ranges => _ranges;

        public int Cancels => _cancels;

        public int Deletes => _deletes;

        public int AdminEdits => _adminEdits;

        public List<double> TakeLatencies()
        {
            var taken = new List<double>();
            while (_latencies.TryTake(out var latency))
            {
                taken.Add(latency);
            }

            return taken;
        }

        public async Task DriveAsync(Random random, CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                var (client, account) = users[random.Next(users.Count)];
                try
                {
                    switch (random.Next(20))
                    {
                        // A tiny builtin render, at most 2 in flight so the renders do not starve everything else.
                        case 0 when _open.Count(o => o.Value == client) < 2:
                            await CreateAsync(client, new { model = "grok-imagine-video", prompt = "soak " + seed, seconds = 1, resolution = "480P" }, builtin: true);
                            break;
                        case 1 or 2:
                            await CreateAsync(client, new { model = "sora-2", prompt = "soak upstream", seconds = "4", size = "1280x720" }, builtin: false);
                            break;
                        case 3 when _open.FirstOrDefault() is { Key: not null } cancel:
                            await TimedAsync("cancel", () => cancel.Value.PostAsync($"/v1/videos/{cancel.Key}/cancel", null, stop));
                            Interlocked.Increment(ref _cancels);
                            break;
                        case 4 or 5 or 6 when _done.TryPeek(out var done):
                            await RangeAsync(done.Client, done.Id, random);
                            break;
                        case 7 when _done.Count > 20 && _done.TryDequeue(out var old):
                            await TimedAsync("delete", () => old.Client.DeleteAsync($"/v1/videos/{old.Id}", stop));
                            Interlocked.Increment(ref _deletes);
                            break;
                        case 8:
                            await TimedAsync("admin edit", () => admin.PatchAsJsonAsync($"/admin/accounts/{account}", new { name = "soak " + random.Next(1000) }, stop));
                            await TimedAsync("admin edit", () => admin.PostAsJsonAsync($"/admin/accounts/{account}/top-up", new { amount_micros = 1_000_000, reason = "soak" }, stop));
                            await TimedAsync("admin edit", () => admin.PutAsJsonAsync("/admin/tiers/soak", new { price_multiplier = 1.0 + (random.Next(50) / 100.0), max_seconds = 15 }, stop));
                            Interlocked.Increment(ref _adminEdits);
                            break;
                        case 9:
                            await TimedAsync("admin usage", () => admin.GetAsync("/admin/usage", stop));
                            await TimedAsync("list", () => client.GetAsync("/v1/videos?limit=50", stop));
                            break;
                        default:
                            await PollAsync(random, stop);
                            break;
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }

                await Task.Delay(random.Next(5, 40), CancellationToken.None);
            }
        }

        private async Task CreateAsync(HttpClient client, object body, bool builtin)
        {
            var response = await TimedAsync("create", () => client.PostAsJsonAsync("/v1/videos", body, Ct));
            if (response.IsSuccessStatusCode)
            {
                var id = (await Api.OkJsonAsync(response)).GetProperty("id").GetString()!;
                Created[id] = client;
                _open[id] = client;
                if (builtin)
                {
                    Interlocked.Increment(ref _builtin);
                }
                else
                {
                    Interlocked.Increment(ref _upstream);
                }
            }
        }

        private async Task PollAsync(Random random, CancellationToken stop)
        {
            var open = _open.ToArray();
            if (open.Length == 0)
            {
                await TimedAsync("list", () => users[random.Next(users.Count)].Client.GetAsync("/v1/videos?limit=5", stop));
                return;
            }

            var (id, client) = open[random.Next(open.Length)];
            var response = await TimedAsync("poll", () => client.GetAsync($"/v1/videos/{id}", stop));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var status = (await Api.OkJsonAsync(response)).GetProperty("status").GetString();
                if (status is "completed" or "failed" or "cancelled" && _open.TryRemove(id, out _) && status == "completed")
                {
                    _done.Enqueue((id, client));
                }
            }
        }

        private async Task RangeAsync(HttpClient client, string id, Random random)
        {
            var start = random.Next(0, 2000);
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/videos/{id}/content");
            request.Headers.Range = new(start, start + random.Next(0, 4096));
            var response = await TimedAsync("range", () => client.SendAsync(request, Ct));
            if (response.StatusCode == HttpStatusCode.PartialContent)
            {
                await response.Content.ReadAsByteArrayAsync(Ct);
                Interlocked.Increment(ref _ranges);
            }
        }

        private async Task<HttpResponseMessage> TimedAsync(string kind, Func<Task<HttpResponseMessage>> send)
        {
            var watch = Stopwatch.StartNew();
            var response = await send();
            await response.Content.LoadIntoBufferAsync(Ct);
            _latencies.Add(watch.Elapsed.TotalMilliseconds);
            ByKind.Enqueue((_run.Elapsed.TotalSeconds, kind, watch.Elapsed.TotalMilliseconds));
            Interlocked.Increment(ref _requests);
            if ((int)response.StatusCode >= 500)
            {
                ServerErrors.Enqueue($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} → {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
            }

            return response;
        }

        /// <summary>Waits for every created task to end; the ids still open after <paramref name="limit"/>.</summary>
        public async Task<List<string>> DrainAsync(TimeSpan limit)
        {
            var until = DateTime.UtcNow + limit;
            var open = Created.ToList();
            while (open.Count > 0 && DateTime.UtcNow < until)
            {
                var still = new List<KeyValuePair<string, HttpClient>>();
                foreach (var (id, client) in open)
                {
                    var response = await client.GetAsync($"/v1/videos/{id}", Ct);
                    var status = response.StatusCode == HttpStatusCode.NotFound ? "deleted" : (await Api.OkJsonAsync(response)).GetProperty("status").GetString();
                    if (status is not ("completed" or "failed" or "cancelled" or "deleted"))
                    {
                        still.Add(new(id, client));
                    }
                }

                open = still;
                if (open.Count > 0)
                {
                    await Task.Delay(500, Ct);
                }
            }

            _ = server;
            return [.. open.Select(o => o.Key)];
        }
    }
}
