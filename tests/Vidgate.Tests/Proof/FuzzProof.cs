using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Vidgate.Tests.Hosting;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Proof;

/// <summary>
/// Proof part "fuzz": a real server process (Kestrel's own parsing in play) takes seeded random and mutated requests on
/// every route of its OpenAPI document for a fixed time (suite 20 s, <c>--short</c> 3 min, long 15 min), the corpus of
/// past failures first. No answer may be 5xx, every 4xx with a body must have the error shape, the process must stay up,
/// no rejected request may leave a task behind, and resident memory must stay flat. A 5xx is minimised and saved to the
/// corpus, so once fixed it is replayed on every later run.
/// </summary>
[Trait("Proof", "fuzz")]
public sealed class FuzzProof
{
    private const int Workers = 4;
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(6);

    /// <summary>Minimising replays the input many times; it gets this long per failure, and only the first few failures get it.</summary>
    private static readonly TimeSpan MinimiseBudget = TimeSpan.FromSeconds(20);

    private const int MinimisedFailures = 5;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A create, by what was sent (corpus entries carry no route template).</summary>
    private static bool IsCreate(FuzzCorpus.Entry entry)
    {
        var path = entry.Target.Split('?')[0].TrimEnd('/');
        return entry.Method == "POST" && (path is "/v1/videos" or "/v1/videos/generations" || (path.StartsWith("/v1/videos/", StringComparison.Ordinal) && path.EndsWith("/remix", StringComparison.Ordinal)));
    }

    [Fact]
    public Task Random_and_mutated_requests_on_every_route_are_never_5xx_and_leave_nothing_behind() => TestSeed.RunAsync(async (_, seed) =>
    {
        var duration = ProofRun.Pick(TimeSpan.FromSeconds(20), TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(15));
        var dataDir = Directory.CreateTempSubdirectory("vidgate-fuzz-").FullName;
        try
        {
            await RunAsync(seed, duration, dataDir);
        }
        finally
        {
            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    });

    private static async Task RunAsync(int seed, TimeSpan duration, string dataDir)
    {
        // First with workers, for one completed task (content, Range and remix need one); then without, so accepted
        // fuzz creates stay queued and cost no CPU, and streams end after a second.
        string userKey, account, completed;
        await using (var first = await ServerProcess.StartAsync(dataDir))
        {
            using var admin = first.Client(VidgateApp.AdminKey);
            (userKey, account) = await NewKeyAsync(admin, "fuzz");
            await Ok(await admin.PostAsJsonAsync($"/admin/accounts/{account}/top-up", new { amount_micros = 1_000_000_000_000, reason = "fuzz" }, Ct));
            await Ok(await admin.PatchAsJsonAsync($"/admin/accounts/{account}", new { tier = "unlimited" }, Ct));
            using var user = first.Client(userKey);
            completed = (await user.CreateAsync(new { model = "grok-imagine-video", prompt = "fuzz target", seconds = 1, resolution = "480P" })).GetProperty("id").GetString()!;
            await user.WaitForAsync(completed, "completed");
        }

        await using var server = await ServerProcess.StartAsync(dataDir, null,
            "--Vidgate:Workers=false", "--Vidgate:Live:MaxStreamDuration=00:00:01", "--Billing:FailedAuthPerMinute=100000000");
        using var adminClient = server.Client(VidgateApp.AdminKey);
        using var userClient = server.Client(userKey);
        var (_, targetAccount) = await NewKeyAsync(adminClient, "target");
        var targetKey = (await Api.OkJsonAsync(await adminClient.GetAsync("/admin/keys", Ct))).GetProperty("data").EnumerateArray()
            .First(k => k.GetProperty("name").GetString() == "target").GetProperty("id").GetString()!;
        var victim = (await userClient.CreateAsync(new { model = "grok-imagine-video", prompt = "fuzz victim", seconds = 1, resolution = "480P" })).GetProperty("id").GetString()!;
        var webhook = (await Api.OkJsonAsync(await userClient.PostJsonAsync("/v1/webhooks", """{"url":"https://93.184.216.34/hooks/fuzz"}"""))).GetProperty("id").GetString()!;
        await Ok(await adminClient.PostAsync("/admin/providers", new StringContent(MalformedInputTests.Samples["POST /admin/providers"][0], Encoding.UTF8, "application/json"), Ct));
        var ids = new FuzzInputs.Ids(userKey, VidgateApp.AdminKey, completed, victim, account, targetAccount, targetKey, webhook, "xai-main");

        var routes = await RoutesAsync(adminClient);
        Assert.Contains(routes, r => r.Template == "/v1/videos/{id}/content");
        Assert.True(routes.Count >= 35, $"only {routes.Count} routes in the OpenAPI document");
        var before = await TaskIdsAsync(adminClient, [account, targetAccount]);

        var run = new Run(server, ids);
        var rss = new List<long>();
        var heap = new List<long>();
        using var sampling = new CancellationTokenSource();
        var sampler = SampleRssAsync(server.ProcessId, rss, sampling.Token);
        var heapSampler = SampleHeapAsync(adminClient, heap, sampling.Token);

        // The corpus first: every input that once failed.
        var replayed = 0;
        foreach (var entry in FuzzCorpus.Load(ids))
        {
            await run.SendAsync(entry, minimise: false);
            replayed++;
        }

        // Warm-up with the largest bodies the generator makes (a 10 MB JSON string, a 25 MB upload), each client at once,
        // so the server's heap reaches that working set here, in the first third, and not whenever the random sequence
        // first draws them: "flat" compares the last third with the middle one, and a seed that drew its big bodies
        // late read as growth (the GC collects such garbage lazily), on a server fast enough to reach them.
        var prompt = Encoding.UTF8.GetBytes("{\"model\":\"grok-imagine-video\",\"prompt\":\"" + new string('x', 10 * 1024 * 1024) + "\"}");
        using var upload = new MultipartFormDataContent
        {
            { new StringContent("grok-imagine-video"), "model" },
            { new StringContent("warm-up"), "prompt" },
            { new ByteArrayContent(new byte[25 * 1024 * 1024]), "input_reference", "big.png" },
        };
        var uploadBody = await upload.ReadAsByteArrayAsync(Ct);
        List<(string Name, string Value)> Auth(string contentType) => [("Authorization", "Bearer " + userKey), ("Content-Type", contentType)];
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            await run.SendAsync(new FuzzCorpus.Entry("warm-up json", "POST", "/v1/videos", Auth("application/json"), prompt), minimise: false);
            await run.SendAsync(new FuzzCorpus.Entry("warm-up upload", "POST", "/v1/videos", Auth(upload.Headers.ContentType!.ToString()), uploadBody), minimise: false);
        }, Ct)));

        var until = DateTime.UtcNow + duration;
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            var random = new Random(unchecked(seed + worker));
            while (DateTime.UtcNow < until && run.Failures.Count < 20)
            {
                var route = routes[random.Next(routes.Count)];
                var (contentType, body) = FuzzInputs.Body(route, random);
                var headers = FuzzInputs.Headers(route, ids, random);
                if (contentType is not null)
                {
                    headers.Add(("Content-Type", contentType));
                }

                if (random.Next(40) == 0)
                {
                    // A Content-Length that lies about the body (or two that disagree).
                    headers.Add(("Content-Length", random.Next(3) switch
                    {
                        0 => (body.Length + 10).ToString(CultureInfo.InvariantCulture),
                        1 => Math.Max(0, body.Length - 5).ToString(CultureInfo.InvariantCulture),
                        _ => Pick(random, ["-1", "abc", "99999999999999999999", "1, 2", " 5"]),
                    }));
                }

                var target = FuzzInputs.Path(route, ids, random);
                await run.SendAsync(new FuzzCorpus.Entry($"{route.Method} {route.Template}", route.Method, target, headers, body), minimise: true);
                Assert.False(HasExited(server.ProcessId), "the server process died:\n" + Tail(server.Output));
            }
        }, Ct)));

        await sampling.CancelAsync();
        await sampler;
        await heapSampler;

        // Alive and still taking work.
        Assert.False(HasExited(server.ProcessId), "the server process died:\n" + Tail(server.Output));
        await Ok(await userClient.GetAsync("/healthz", Ct));

        // No task that a rejected request made: every task now was there before or came back in a 2xx to a create.
        var after = await TaskIdsAsync(adminClient, [account, targetAccount]);
        var strays = after.Except(before).Except(run.Created).ToList();

        // The first third is warm-up: the GC grows its heap to the largest bodies' working set (10 MB strings, 25 MB
        // uploads) and keeps it. Flat means it then stops growing: the last third against the middle one.
        var firstThird = Median(rss.Skip(rss.Count / 3).Take(rss.Count / 3));
        var lastThird = Median(rss.Skip(rss.Count - (rss.Count / 3)));
        var report = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"seed {seed} (VIDGATE_TEST_SEED={seed}), {duration.TotalSeconds:0} s, {Workers} concurrent clients, {routes.Count} routes from /openapi/v1.json")
            .AppendLine()
            .AppendLine("| figure | value |")
            .AppendLine("|---|---|")
            .AppendLine(CultureInfo.InvariantCulture, $"| corpus entries replayed | {replayed} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| requests sent | {run.Sent} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| answers by class | {string.Join(", ", run.ByClass.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}: {c.Value}"))} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| 5xx | {run.Failures.Count(f => f.Contains("→ 5", StringComparison.Ordinal))} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| 4xx without the error shape | {run.Failures.Count(f => f.Contains("shape", StringComparison.Ordinal))} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| no status line within {Answer.TotalSeconds:0} s (streams, long-polls) | {run.Stalled} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| tasks created by accepted creates | {run.Created.Count} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| tasks left by rejected requests | {strays.Count} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| RSS median, middle third → last third | {firstThird / 1048576.0:0} MB → {lastThird / 1048576.0:0} MB ({rss.Count} samples) |")
            .AppendLine(CultureInfo.InvariantCulture, $"| GC heap median, middle third → last third (reported, not asserted) | {Median(heap.Skip(heap.Count / 3).Take(heap.Count / 3)) / 1048576.0:0} MB → {Median(heap.Skip(heap.Count - (heap.Count / 3))) / 1048576.0:0} MB, max {heap.DefaultIfEmpty().Max() / 1048576.0:0} MB |")
            .AppendLine(CultureInfo.InvariantCulture, $"| new corpus entries | {string.Join(", ", run.Saved.DefaultIfEmpty("none"))} |");
        ProofRun.Report("fuzz", report.ToString());

        Assert.True(run.Failures.IsEmpty, $"{run.Failures.Count} failing inputs (saved to {FuzzCorpus.Folder}):\n" + string.Join('\n', run.Failures.Take(20)));
        Assert.True(strays.Count == 0, "tasks that no accepted create returned: " + string.Join(", ", strays));
        Assert.True(run.Sent > 200, $"only {run.Sent} requests sent");
        // A harness that gets no answers proves nothing (a half-closed socket once made Kestrel drop every request).
        Assert.True(run.Stalled * 10 < run.Sent, $"{run.Stalled} of {run.Sent} requests got no status line");
        Assert.True(lastThird <= (firstThird * 1.5) + (64L << 20), $"RSS grew: median {firstThird} → {lastThird} bytes (middle → last third)");
    }

    [Fact]
    public async Task An_error_quoting_a_huge_value_stays_small()
    {
        // Found by the fuzzer: PATCH an account's tier to a 10 MB name, and the 400 quoted all of it back.
        using var app = new VidgateApp(settings: new() { ["Vidgate:Workers"] = "false" });
        using var admin = app.Admin();
        var (_, account) = await app.NewKeyAsync("clip");
        var name = new string('x', 1_000_000) + "🙂";

        using var response = await admin.PatchAsJsonAsync($"/admin/accounts/{account}", new { tier = name }, Ct);

        var error = await Api.ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("tier_not_found", error.GetProperty("code").GetString());
        Assert.InRange(error.GetProperty("message").GetString()!.Length, 20, ApiError.MaxMessageLength);
        Assert.StartsWith("No tier 'xxx", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Sends one input; a 5xx (or a 4xx without the error shape) is minimised and saved to the corpus.</summary>
    private sealed class Run(ServerProcess server, FuzzInputs.Ids ids)
    {
        private int _sent;
        private int _stalled;
        private int _minimised;

        public ConcurrentQueue<string> Failures { get; } = new();

        public ConcurrentBag<string> Created { get; } = [];

        public ConcurrentBag<string> Saved { get; } = [];

        public ConcurrentDictionary<string, int> ByClass { get; } = new(StringComparer.Ordinal);

        public int Sent => _sent;

        public int Stalled => _stalled;

        public async Task SendAsync(FuzzCorpus.Entry entry, bool minimise)
        {
            var answer = await ExchangeAsync(entry);
            Interlocked.Increment(ref _sent);
            ByClass.AddOrUpdate(answer.Status == 0 ? "none" : $"{answer.Status / 100}xx", 1, (_, n) => n + 1);
            if (answer.Status == 0)
            {
                Interlocked.Increment(ref _stalled);
            }

            if (answer.Status is >= 200 and < 300 && IsCreate(entry) && TaskId(answer.Body) is { } id)
            {
                Created.Add(id);
            }

            if (Fault(entry, answer) is not { } fault)
            {
                return;
            }

            if (!minimise)
            {
                // A corpus entry failing again: it is in the corpus already.
                Failures.Enqueue($"{fault}: corpus/{entry.Name} → {answer.Status} {Preview(answer.Body)}");
                return;
            }

            // Saved as found first, so a run cut short still keeps it; the minimised form replaces it.
            var found = FuzzCorpus.Save(entry, ids);
            var smallest = Interlocked.Increment(ref _minimised) <= MinimisedFailures ? await MinimiseAsync(entry, fault) : entry;
            var name = FuzzCorpus.Save(smallest, ids);
            if (name != found)
            {
                File.Delete(Path.Combine(FuzzCorpus.Folder, found));
            }

            Console.WriteLine($"fuzz: {fault} corpus/{name}");
            Saved.Add(name);
            Failures.Enqueue($"{fault}: {smallest.Method} {Preview(smallest.Target)} [{string.Join("; ", smallest.Headers.Select(h => h.Name + ": " + Preview(h.Value)))}] {Preview(Encoding.UTF8.GetString(smallest.Body))} → {answer.Status} {Preview(answer.Body)} (corpus/{name})");
        }

        private Task<FuzzHttp.Answer> ExchangeAsync(FuzzCorpus.Entry entry)
        {
            var ownLength = entry.Headers.Any(h => h.Name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || h.Name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase));
            return FuzzHttp.SendAsync(server.BaseAddress, FuzzHttp.Request(entry.Method, entry.Target, entry.Headers, entry.Body, contentLength: !ownLength), Answer, Ct);
        }

        private static string? Fault(FuzzCorpus.Entry entry, FuzzHttp.Answer answer)
        {
            if (answer.Status >= 500)
            {
                return $"→ {answer.Status}";
            }

            // Kestrel's own refusals (a bad request line, 413, 431) carry no body; anything the app said must be the shape.
            var fromApp = answer.Status is >= 400 and < 500 && entry.Method != "HEAD" && answer.Body.Length > 0;
            if (fromApp && answer.Body.Length > 64 * 1024)
            {
                // An error that quotes a huge input back is an amplifier (and a log and proxy hazard).
                return "4xx body over 64 KB";
            }

            return fromApp && !MalformedInputTests.HasErrorShape(answer.Body) ? "4xx without the error shape" : null;
        }

        /// <summary>Drops headers one at a time, then the query, then halves and chunks of the body, while it still fails the same way.</summary>
        private async Task<FuzzCorpus.Entry> MinimiseAsync(FuzzCorpus.Entry entry, string fault)
        {
            async Task<bool> Fails(FuzzCorpus.Entry candidate) => Fault(candidate, await ExchangeAsync(candidate)) == fault;

            var budget = System.Diagnostics.Stopwatch.StartNew();
            var current = entry;
            for (var i = current.Headers.Count - 1; i >= 0 && budget.Elapsed < MinimiseBudget; i--)
            {
                var fewer = current with { Headers = [.. current.Headers.Where((_, at) => at != i)] };
                if (await Fails(fewer))
                {
                    current = fewer;
                }
            }

            if (current.Target.Contains('?', StringComparison.Ordinal) && await Fails(current with { Target = current.Target[..current.Target.IndexOf('?', StringComparison.Ordinal)] }))
            {
                current = current with { Target = current.Target[..current.Target.IndexOf('?', StringComparison.Ordinal)] };
            }

            // ddmin over the body, bounded: enough to turn a 10 MB body into the few bytes that matter, never endless.
            var chunks = 2;
            for (var attempts = 0; attempts < 200 && current.Body.Length > 1 && chunks <= current.Body.Length && budget.Elapsed < MinimiseBudget; attempts++)
            {
                var size = (current.Body.Length + chunks - 1) / chunks;
                var reduced = false;
                for (var start = 0; start < current.Body.Length && budget.Elapsed < MinimiseBudget; start += size)
                {
                    var candidate = current with { Body = [.. current.Body[..start], .. current.Body[Math.Min(current.Body.Length, start + size)..]] };
                    if (await Fails(candidate))
                    {
                        current = candidate;
                        reduced = true;
                        break;
                    }
                }

                chunks = reduced ? Math.Max(2, chunks - 1) : chunks * 2;
            }

            return current;
        }
    }

    private static string? TaskId(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("id", out var id) ? id.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<List<FuzzInputs.Route>> RoutesAsync(HttpClient admin)
    {
        var document = await Api.OkJsonAsync(await admin.GetAsync("/openapi/v1.json", Ct));
        var routes = new List<FuzzInputs.Route>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "head" or "post" or "put" or "patch" or "delete"))
            {
                routes.Add(new FuzzInputs.Route(operation.Name.ToUpperInvariant(), path.Name));
            }
        }

        routes.Add(new FuzzInputs.Route("GET", "/openapi/v1.json"));
        return [.. routes.Distinct()];
    }

    /// <summary>Every task id in the accounts' ledgers (a create holds money, so a task always leaves a ledger line).</summary>
    private static async Task<HashSet<string>> TaskIdsAsync(HttpClient admin, string[] accounts)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var account in accounts)
        {
            string? after = null;
            while (true)
            {
                var page = await Api.OkJsonAsync(await admin.GetAsync($"/admin/accounts/{account}/ledger?limit=100" + (after is null ? "" : "&after=" + after), Ct));
                var entries = page.GetProperty("data").EnumerateArray().ToList();
                foreach (var entry in entries)
                {
                    if (entry.TryGetProperty("task_id", out var task) && task.ValueKind == JsonValueKind.String)
                    {
                        ids.Add(task.GetString()!);
                    }
                }

                if (entries.Count == 0 || !page.TryGetProperty("has_more", out var more) || !more.GetBoolean())
                {
                    break;
                }

                after = entries[^1].GetProperty("seq").GetRawText();
            }
        }

        return ids;
    }

    private static async Task<(string Key, string Account)> NewKeyAsync(HttpClient admin, string name)
    {
        var created = await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/keys", new { name }, Ct));
        return (created.GetProperty("key").GetString()!, created.GetProperty("account_id").GetString()!);
    }

    private static async Task Ok(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
    }

    internal static async Task SampleRssAsync(int pid, List<long> samples, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (ProcStatus(pid, "VmRSS") is { } rss)
                {
                    lock (samples)
                    {
                        samples.Add(rss);
                    }
                }

                await Task.Delay(TimeSpan.FromSeconds(ProofRun.Pick(1, 5, 10)), ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The managed heap after the last GC (<c>dotnet_gc_heap_bytes</c> on /metrics): tells a leak from the GC keeping what it grew to.</summary>
    private static async Task SampleHeapAsync(HttpClient admin, List<long> samples, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var metrics = await (await admin.GetAsync("/metrics", ct)).Content.ReadAsStringAsync(ct);
                if (metrics.Split('\n').FirstOrDefault(l => l.StartsWith("dotnet_gc_heap_bytes", StringComparison.Ordinal)) is { } line)
                {
                    samples.Add((long)double.Parse(line.Split(' ')[^1], CultureInfo.InvariantCulture));
                }

                await Task.Delay(TimeSpan.FromSeconds(ProofRun.Pick(1, 5, 10)), ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (HttpRequestException)
        {
            // A sample lost to the fuzzing load is a missing point, not a finding; the process check covers deaths.
        }
    }

    /// <summary>A /proc/&lt;pid&gt;/status field in bytes (kB fields) or as a count (Threads).</summary>
    internal static long? ProcStatus(int pid, string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
            if (line is null)
            {
                return null;
            }

            var parts = line[(field.Length + 1)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var value = long.Parse(parts[0], CultureInfo.InvariantCulture);
            return parts.Length > 1 && parts[1] == "kB" ? value * 1024 : value;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Gone, or a zombie (killed, not yet reaped by the test's Process object).</summary>
    internal static bool HasExited(int pid)
    {
        try
        {
            var state = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("State:", StringComparison.Ordinal));
            return state is null || state.Contains('Z', StringComparison.Ordinal) || state.Contains('X', StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return true;
        }
    }

    internal static long Median(IEnumerable<long> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted[sorted.Count / 2];
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    private static string Tail(string output) => output.Length <= 4000 ? output : output[^4000..];

    private static string Preview(string text) => text.Length <= 160 ? text : text[..160] + $"…({text.Length} chars)";
}
