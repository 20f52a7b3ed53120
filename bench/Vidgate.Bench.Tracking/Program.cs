using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

// Tracking benchmark driver (bench/run.sh tracking). The server and the fake xAI run as separate processes; this:
// 1. connects the server to the fake (POST /admin/providers, /admin/routes) and creates N tasks (seed dialect);
// 2. reads from the fake when each upstream job becomes done (the fake fixes it at acceptance: accept + random duration);
// 3. from shortly before that moment polls GET /v1/videos/{id} every 50 ms until it says completed:
//    lag = first "completed" seen − upstream done (so the figure includes up to 50 ms of observation granularity);
// 4. prints p50/p99/max lag, upstream requests per task and the server's peak RSS (VmHWM), then exits.
// Bounded: every wait has a deadline; tasks not completed by the end count as lag = the whole remaining run.
var options = Args.Parse(args);
var ct = new CancellationTokenSource(options.MaxRun).Token;
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{
    Timeout = TimeSpan.FromSeconds(30),
};

async Task<JsonElement> PostAsync(string url, string key, object body)
{
    using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
    using var response = await http.SendAsync(request, ct);
    var text = await response.Content.ReadAsStringAsync(ct);
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"POST {url}: {(int)response.StatusCode} {text}");
    }

    return JsonDocument.Parse(text).RootElement.Clone();
}

var server = options.Server.TrimEnd('/');
var userKey = (await PostAsync($"{server}/admin/keys", options.AdminKey, new { name = "bench-tracking" })).GetProperty("key").GetString()!;
await PostAsync($"{server}/admin/providers", options.AdminKey, new { id = "xai-bench", type = "xai", base_url = options.Fake, api_keys = new[] { options.FakeKey } });
await PostAsync($"{server}/admin/routes", options.AdminKey, new { model = "grok-imagine-video", provider = "xai-bench" });

Console.Error.WriteLine($"tracking: creating {options.Tasks} tasks…");
var ids = new string[options.Tasks];
var created = Stopwatch.StartNew();
await Parallel.ForEachAsync(Enumerable.Range(0, options.Tasks), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = ct }, async (i, token) =>
{
    var body = new { model = "grok-imagine-video", prompt = $"bench tracking task [bench:{i}]", seconds = "6", aspect_ratio = "16:9", resolution = "480P" };
    ids[i] = (await PostAsync($"{server}/v1/videos", userKey, body)).GetProperty("id").GetString()!;
});
Console.Error.WriteLine($"tracking: {options.Tasks} created in {created.Elapsed.TotalSeconds:0.0} s; waiting for the upstream to accept them all…");

// Done times, from the fake: "<request_id> <done_at_ms> <polls> <bench tag>" per line.
var doneAt = new Dictionary<int, long>();
while (doneAt.Count < options.Tasks)
{
    doneAt.Clear();
    foreach (var line in (await http.GetStringAsync($"{options.Fake.TrimEnd('/')}/_fake/jobs", ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
    {
        var parts = line.Split(' ');
        if (parts.Length == 4 && int.TryParse(parts[3], CultureInfo.InvariantCulture, out var tag))
        {
            doneAt[tag] = long.Parse(parts[1], CultureInfo.InvariantCulture);
        }
    }

    if (doneAt.Count < options.Tasks)
    {
        await Task.Delay(500, ct);
    }
}

Console.Error.WriteLine($"tracking: all accepted {created.Elapsed.TotalSeconds:0.0} s after the first create; watching completions…");
var lags = new ConcurrentBag<double>();
var failed = 0;
var end = DateTimeOffset.UtcNow + options.MaxRun - created.Elapsed - TimeSpan.FromSeconds(15);
await Parallel.ForEachAsync(Enumerable.Range(0, options.Tasks).OrderBy(i => doneAt[i]), new ParallelOptions { MaxDegreeOfParallelism = 512 }, async (i, token) =>
{
    var wakeAt = DateTimeOffset.FromUnixTimeMilliseconds(doneAt[i] - 200);
    if (wakeAt > DateTimeOffset.UtcNow)
    {
        await Task.Delay(wakeAt - DateTimeOffset.UtcNow, token);
    }

    while (DateTimeOffset.UtcNow < end)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{server}/v1/videos/{ids[i]}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", userKey);
        try
        {
            using var response = await http.SendAsync(request, token);
            var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync(token)).RootElement.GetProperty("status").GetString();
            if (status == "completed")
            {
                lags.Add((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - doneAt[i]) / 1000.0);
                return;
            }

            if (status is "failed" or "cancelled")
            {
                Interlocked.Increment(ref failed);
                lags.Add((end - DateTimeOffset.FromUnixTimeMilliseconds(doneAt[i])).TotalSeconds);
                return;
            }
        }
        catch (HttpRequestException)
        {
            // Counted by the deadline below if it never recovers.
        }

        await Task.Delay(50, token);
    }

    lags.Add((end - DateTimeOffset.FromUnixTimeMilliseconds(doneAt[i])).TotalSeconds);
});

var stats = (await http.GetStringAsync($"{options.Fake.TrimEnd('/')}/_fake/stats", CancellationToken.None)).Split(' ');
var requests = long.Parse(stats[0], CultureInfo.InvariantCulture) + long.Parse(stats[1], CultureInfo.InvariantCulture) + long.Parse(stats[2], CultureInfo.InvariantCulture);
var sorted = lags.Order().ToArray();
double Percentile(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
var rssMb = PeakRssMb(options.ServerPid);
var I = CultureInfo.InvariantCulture;
Console.WriteLine(string.Create(I, $"RESULT tasks={options.Tasks} completed={sorted.Length - failed} failed={failed} p50={Percentile(0.5):0.000} p99={Percentile(0.99):0.000} max={sorted.LastOrDefault():0.000} requests_per_task={requests / (double)options.Tasks:0.00} submits={stats[0]} polls={stats[1]} downloads={stats[2]} peak_rss_mb={rssMb:0} run_s={created.Elapsed.TotalSeconds:0}"));
return failed == 0 && sorted.Length == options.Tasks ? 0 : 1;

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

internal sealed record Args(string Server, string AdminKey, string Fake, string FakeKey, int Tasks, int ServerPid, TimeSpan MaxRun)
{
    public static Args Parse(string[] args)
    {
        string Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"missing {name}");
        return new Args(Get("--server"), Get("--admin-key"), Get("--fake"), Get("--fake-key"), int.Parse(Get("--tasks"), CultureInfo.InvariantCulture),
            int.Parse(Get("--server-pid"), CultureInfo.InvariantCulture), TimeSpan.FromSeconds(double.Parse(Get("--max-seconds"), CultureInfo.InvariantCulture)));
    }
}
