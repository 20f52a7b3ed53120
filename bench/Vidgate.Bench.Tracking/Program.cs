using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

// Tracking benchmark driver (bench/run.sh tracking). The server and the fake xAI run as separate processes; this:
// 1. connects the server to the fake (POST /admin/providers, /admin/routes; skipped with --upstream-ready, when the
//    script did it before starting more nodes) and creates N tasks (seed dialect);
// 2. learns from the fake, within ~250 ms of acceptance, when each upstream job becomes done (fixed at acceptance:
//    accept + random duration ≥ 5 s), while the creates are still going on;
// 3. from shortly before that moment polls GET /v1/videos/{id} every 50 ms until it says completed:
//    lag = first "completed" seen − upstream done (so the figure includes up to 50 ms of observation granularity);
// With --callbacks the upstream is the fake Kling (its own process) with callbacks on: the lag is then what a
// callback buys over polling.
// 4. prints p50/p99/max lag, upstream requests per task and the server's peak RSS (VmHWM), then exits.
// Bounded: every wait has a deadline; tasks not completed by the end count as lag = the whole remaining run.
var options = Args.Parse(args);
var ct = new CancellationTokenSource(options.MaxRun).Token;
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{
    Timeout = TimeSpan.FromSeconds(30),
};

Task<JsonElement> PostAsync(string url, string key, object body) => SendAsync(HttpMethod.Post, url, key, body);

async Task<JsonElement> SendAsync(HttpMethod method, string url, string key, object body)
{
    using var request = new HttpRequestMessage(method, url) { Content = JsonContent.Create(body) };
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
    using var response = await http.SendAsync(request, ct);
    var text = await response.Content.ReadAsStringAsync(ct);
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{method} {url}: {(int)response.StatusCode} {text}");
    }

    return JsonDocument.Parse(text).RootElement.Clone();
}

var server = options.Server.TrimEnd('/');
var user = await PostAsync($"{server}/admin/keys", options.AdminKey, new { name = "bench-tracking" });
var userKey = user.GetProperty("key").GetString()!;

// A metered account (holds and charges as for any paying user) on the `unlimited` tier with a large balance: the
// default tier allows 8 videos in flight, and this measures tracking, not plan limits.
var account = $"{server}/admin/accounts/{user.GetProperty("account_id").GetString()}";
await SendAsync(HttpMethod.Patch, account, options.AdminKey, new { tier = "unlimited" });
await PostAsync($"{account}/top-up", options.AdminKey, new { amount_micros = 1_000_000_000_000_000L, reason = "bench" });
if (!options.UpstreamReady)
{
    if (options.Callbacks)
    {
        // --callbacks: the fake Kling, which calls back when a job ends (the server's PublicBaseUrl is its own address).
        await PostAsync($"{server}/admin/providers", options.AdminKey, new
        {
            id = "kling-bench",
            type = "kling",
            base_url = options.Fake,
            api_keys = new[] { options.FakeKey },
            model_map = new Dictionary<string, string> { ["grok-imagine-video"] = "kling-v2-6" },
            options = new { callbacks = true },
        });
        await PostAsync($"{server}/admin/routes", options.AdminKey, new { model = "grok-imagine-video", provider = "kling-bench" });
    }
    else
    {
        await PostAsync($"{server}/admin/providers", options.AdminKey, new { id = "xai-bench", type = "xai", base_url = options.Fake, api_keys = new[] { options.FakeKey } });
        await PostAsync($"{server}/admin/routes", options.AdminKey, new { model = "grok-imagine-video", provider = "xai-bench" });
    }
}

Console.Error.WriteLine($"tracking: creating {options.Tasks} tasks…");
var ids = new string?[options.Tasks];
var created = Stopwatch.StartNew();
var lags = new ConcurrentBag<double>();
// Per task: id, upstream done (ms), first "completed" seen (ms); written when BENCH_TRACKING_LAGS_FILE names a file, to
// split a lag into the server's part (its "completed" log line) and the observer's.
var seen = new ConcurrentBag<string>();
var failed = 0;
var notCompleted = 0;
var lateStarts = 0;
var end = DateTimeOffset.UtcNow + options.MaxRun - TimeSpan.FromSeconds(15);
var watchers = new List<Task>(options.Tasks);

// Learns each job's done time from the fake as soon as it is accepted (jobs last ≥ 5 s, so a watcher is always in
// place well before), and starts a watcher for it while the creates are still going on.
var learner = Task.Run(async () =>
{
    var known = new HashSet<int>();
    long since = 0;
    while (known.Count < options.Tasks && DateTimeOffset.UtcNow < end)
    {
        foreach (var line in (await http.GetStringAsync($"{options.Fake.TrimEnd('/')}/_fake/jobs?since_ms={since}", ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length == 5 && int.TryParse(parts[3], CultureInfo.InvariantCulture, out var tag) && known.Add(tag))
            {
                var doneAt = long.Parse(parts[1], CultureInfo.InvariantCulture);
                since = Math.Max(since, long.Parse(parts[4], CultureInfo.InvariantCulture) - 2000);
                watchers.Add(WatchAsync(tag, doneAt));
            }
        }

        await Task.Delay(250, ct);
    }
});

var createFailures = 0;
try
{
    await Parallel.ForEachAsync(Enumerable.Range(0, options.Tasks), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = ct }, async (i, token) =>
    {
        var body = new { model = "grok-imagine-video", prompt = $"bench tracking task [bench:{i}]", seconds = "6", aspect_ratio = "16:9", resolution = "480P" };
        try
        {
            Volatile.Write(ref ids[i], (await PostAsync($"{server}/v1/videos", userKey, body)).GetProperty("id").GetString()!);
        }
        catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            // A refused or timed-out create is a task that never runs: counted and reported, the run goes on.
            if (Interlocked.Increment(ref createFailures) <= 3)
            {
                Console.Error.WriteLine($"tracking: create {i} failed: {ex.Message.Split('\n')[0]}");
            }
        }
    });
}
catch (OperationCanceledException) when (ct.IsCancellationRequested)
{
    Console.Error.WriteLine("tracking: the run's time ran out while creating");
}

Console.Error.WriteLine($"tracking: {options.Tasks - createFailures} created ({createFailures} failed) in {created.Elapsed.TotalSeconds:0.0} s; watching completions…");
try
{
    await learner;
    Console.Error.WriteLine($"tracking: all {options.Tasks} accepted upstream {created.Elapsed.TotalSeconds:0.0} s after the first create");
}
catch (OperationCanceledException) when (ct.IsCancellationRequested)
{
    Console.Error.WriteLine($"tracking: {watchers.Count} of {options.Tasks} accepted upstream when the run's time ran out (submits behind)");
}

await Task.WhenAll(watchers.ToArray());

async Task WatchAsync(int i, long doneAtMs)
{
    try
    {
        await WatchUntilAsync(i, doneAtMs);
    }
    catch (OperationCanceledException) when (ct.IsCancellationRequested)
    {
        // The run's time ran out first: the task counts as not completed, with the whole remaining time as its lag.
        Interlocked.Increment(ref notCompleted);
        lags.Add(Math.Max(0, (end - DateTimeOffset.FromUnixTimeMilliseconds(doneAtMs)).TotalSeconds));
    }
}

async Task WatchUntilAsync(int i, long doneAtMs)
{
    var wakeAt = DateTimeOffset.FromUnixTimeMilliseconds(doneAtMs - 200);
    if (wakeAt > DateTimeOffset.UtcNow)
    {
        await Task.Delay(wakeAt - DateTimeOffset.UtcNow, ct);
    }
    else
    {
        // Learned too late to see the moment of completion: the lag is overstated for this task; counted and reported.
        Interlocked.Increment(ref lateStarts);
    }

    string? id;
    while ((id = Volatile.Read(ref ids[i])) is null)
    {
        await Task.Delay(10, ct);
    }

    while (DateTimeOffset.UtcNow < end)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{server}/v1/videos/{id}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", userKey);
        try
        {
            using var response = await http.SendAsync(request, ct);
            var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("status").GetString();
            if (status == "completed")
            {
                var seenMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                lags.Add((seenMs - doneAtMs) / 1000.0);
                seen.Add(string.Create(CultureInfo.InvariantCulture, $"{id} {doneAtMs} {seenMs}"));
                return;
            }

            if (status is "failed" or "cancelled")
            {
                Interlocked.Increment(ref failed);
                lags.Add((end - DateTimeOffset.FromUnixTimeMilliseconds(doneAtMs)).TotalSeconds);
                return;
            }
        }
        catch (HttpRequestException)
        {
            // Counted by the deadline below if it never recovers.
        }

        await Task.Delay(50, ct);
    }

    Interlocked.Increment(ref notCompleted);
    lags.Add((end - DateTimeOffset.FromUnixTimeMilliseconds(doneAtMs)).TotalSeconds);
}

var stats = (await http.GetStringAsync($"{options.Fake.TrimEnd('/')}/_fake/stats", CancellationToken.None)).Split(' ');
var requests = long.Parse(stats[0], CultureInfo.InvariantCulture) + long.Parse(stats[1], CultureInfo.InvariantCulture) + long.Parse(stats[2], CultureInfo.InvariantCulture);
if (Environment.GetEnvironmentVariable("BENCH_TRACKING_LAGS_FILE") is { Length: > 0 } lagsFile)
{
    await File.WriteAllLinesAsync(lagsFile, seen, CancellationToken.None);
}

var sorted = lags.Order().ToArray();
double Percentile(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
var rssMb = PeakRssMb(options.ServerPid);
var I = CultureInfo.InvariantCulture;
var unfinished = options.Tasks - sorted.Length;
Console.WriteLine(string.Create(I, $"RESULT tasks={options.Tasks} completed={sorted.Length - failed - notCompleted} failed={failed} not_completed={notCompleted + unfinished} create_failures={createFailures} p50={Percentile(0.5):0.000} p99={Percentile(0.99):0.000} max={sorted.LastOrDefault():0.000} requests_per_task={requests / (double)options.Tasks:0.00} submits={stats[0]} polls={stats[1]} downloads={stats[2]} peak_rss_mb={rssMb:0} run_s={created.Elapsed.TotalSeconds:0} late_starts={lateStarts}"));
return failed == 0 && notCompleted + unfinished == 0 ? 0 : 1;

static double PeakRssMb(int pid)
{
    foreach (var line in File.ReadLines($"/proc/{pid}/status"))
    {
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
        {
            return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
    }

    return double.NaN;
}

internal sealed record Args(string Server, string AdminKey, string Fake, string FakeKey, int Tasks, int ServerPid, TimeSpan MaxRun, bool UpstreamReady, bool Callbacks)
{
    public static Args Parse(string[] args)
    {
        string Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"missing {name}");
        return new Args(Get("--server"), Get("--admin-key"), Get("--fake"), Get("--fake-key"), int.Parse(Get("--tasks"), CultureInfo.InvariantCulture),
            int.Parse(Get("--server-pid"), CultureInfo.InvariantCulture), TimeSpan.FromSeconds(double.Parse(Get("--max-seconds"), CultureInfo.InvariantCulture)),
            args.Contains("--upstream-ready"), args.Contains("--callbacks"));
    }
}
