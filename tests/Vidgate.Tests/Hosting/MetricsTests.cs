using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Vidgate.Fakes;
using Vidgate.Server.Metrics;
using Vidgate.Tests.Providers;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Hosting;

public sealed partial class MetricsTests
{
    private const string Token = "metrics-token-for-tests";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Counters_and_gauges_say_exactly_what_happened_and_no_label_carries_a_prompt_id_or_key()
    {
        using var app = new VidgateApp();
        var (key, accountId) = await app.NewKeyAsync("metrics");
        await app.TopUpAsync(accountId, 1000_000_000);
        using var client = app.Client(key);
        var before = await BalanceAsync(app, accountId);

        const string prompt = "zebra-quokka-7f3e \"quoted\" \\ back-slashed lighthouse at dusk";
        var body = new { model = "grok-imagine-video", prompt, seconds = 1, resolution = "480P" };
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await client.CreateAsync(body)).GetProperty("id").GetString()!);
        }

        var cancelled = await Api.OkJsonAsync(await client.PostAsync($"/v1/videos/{ids[2]}/cancel", null, Ct));
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        await client.WaitForAsync(ids[0], "completed");
        await client.WaitForAsync(ids[1], "completed");
        var charged = before - await BalanceAsync(app, accountId);
        Assert.True(charged > 0);

        // A task's end is counted just after its commit, which the poll above may see first: wait for the counter.
        using var local = app.Client(key: null);
        Exposition metrics;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        do
        {
            metrics = Exposition.Parse(await ScrapeAsync(local));
            if (metrics.Value("vidgate_tasks_finished_total", ("status", "completed"), ("provider", "builtin")) == 2)
            {
                break;
            }

            await Task.Delay(50, Ct);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Equal(3, metrics.Value("vidgate_tasks_created_total", ("dialect", "seed"), ("model", "grok-imagine-video")));
        Assert.Equal(3, metrics.Sum("vidgate_tasks_created_total"));
        Assert.Equal(2, metrics.Value("vidgate_tasks_finished_total", ("status", "completed"), ("provider", "builtin")));
        Assert.Equal(1, metrics.Value("vidgate_tasks_finished_total", ("status", "cancelled"), ("provider", "builtin")));
        Assert.Equal(0, metrics.Value("vidgate_tasks_finished_total", ("status", "failed"), ("provider", "builtin")));
        Assert.Equal(3, metrics.Sum("vidgate_tasks_finished_total"));

        Assert.Equal(2, metrics.Value("vidgate_tasks", ("status", "completed"), ("provider", "builtin")));
        Assert.Equal(1, metrics.Value("vidgate_tasks", ("status", "cancelled"), ("provider", "builtin")));
        foreach (var status in new[] { "queued", "processing", "failed" })
        {
            Assert.Equal(0, metrics.Value("vidgate_tasks", ("status", status), ("provider", "builtin")));
            Assert.Equal(0, metrics.Value("vidgate_tasks", ("status", status), ("provider", "upstream")));
        }

        Assert.Equal(3, metrics.Sum("vidgate_tasks"));

        // The two renders that finished; the cancelled one may or may not have started (then it counts as cancelled).
        Assert.Equal(2, metrics.Value("vidgate_render_seconds_count", ("outcome", "ok")));
        Assert.InRange(metrics.Value("vidgate_render_seconds_sum", ("outcome", "ok")), 0.01, 240);

        // Same price for all three: two charged in full, the cancelled one's hold given back whole.
        Assert.Equal(charged, metrics.Value("vidgate_billing_charged_micros_total"));
        Assert.Equal(charged / 2, metrics.Value("vidgate_billing_refunded_micros_total"));

        Assert.Equal(1, metrics.Samples.Single(s => s.Name == "vidgate_build_info").Value);
        Assert.True(metrics.Value("process_resident_memory_bytes") > 1_000_000);
        var started = DateTimeOffset.FromUnixTimeMilliseconds((long)(metrics.Value("process_start_time_seconds") * 1000));
        Assert.InRange(started, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow);
        Assert.DoesNotContain(metrics.Samples, s => s.Name.StartsWith("vidgate_upstream_requests", StringComparison.Ordinal));

        var text = await ScrapeAsync(local);
        foreach (var secret in ids.Append(prompt).Append("zebra-quokka").Append(key).Append(accountId).Append(VidgateApp.AdminKey))
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task With_a_token_set_metrics_need_it_or_an_admin_key()
    {
        using var app = new VidgateApp(settings: new() { ["Vidgate:Metrics:Token"] = Token, ["Vidgate:Workers"] = "false" });

        using var anonymous = app.Client(key: null);
        var missing = await Api.ErrorAsync(await anonymous.GetAsync("/metrics", Ct), HttpStatusCode.Unauthorized);
        Assert.Equal("authentication_error", missing.GetProperty("type").GetString());

        using var wrong = app.Client("metrics-token-for-test");
        await Api.ErrorAsync(await wrong.GetAsync("/metrics", Ct), HttpStatusCode.Unauthorized);

        using var right = app.Client(Token);
        Exposition.Parse(await ScrapeAsync(right));

        using var admin = app.Admin();
        Exposition.Parse(await ScrapeAsync(admin));

        using var user = await app.NewUserAsync();
        var forbidden = await Api.ErrorAsync(await user.GetAsync("/metrics", Ct), HttpStatusCode.Forbidden);
        Assert.Equal("admin_required", forbidden.GetProperty("code").GetString());

        // A remote scraper with the token is let in; without it, not even from loopback.
        Assert.Equal(200, (await SendAsync(app, "203.0.113.9", Token)).StatusCode);
        Assert.Equal(401, (await SendAsync(app, "127.0.0.1", null)).StatusCode);
    }

    [Fact]
    public async Task Without_a_token_metrics_answer_loopback_clients_and_admin_keys_only()
    {
        using var app = new VidgateApp(settings: new() { ["Vidgate:Workers"] = "false" });

        Assert.Equal(200, (await SendAsync(app, "127.0.0.1", null)).StatusCode);
        Assert.Equal(200, (await SendAsync(app, "::1", null)).StatusCode);
        Assert.Equal(200, (await SendAsync(app, "::ffff:127.0.0.1", null)).StatusCode);

        var remote = await SendAsync(app, "203.0.113.9", null);
        Assert.Equal(403, remote.StatusCode);
        Assert.StartsWith("application/json", remote.ContentType, StringComparison.Ordinal);
        var error = JsonDocument.Parse(remote.Body).RootElement.GetProperty("error");
        Assert.Equal("metrics_forbidden", error.GetProperty("code").GetString());
        Assert.Equal("permission_error", error.GetProperty("type").GetString());

        Assert.Equal(401, (await SendAsync(app, "10.1.2.3", "not-a-key")).StatusCode);
        Assert.Equal(200, (await SendAsync(app, "203.0.113.9", VidgateApp.AdminKey)).StatusCode);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.9.9.9", true)]
    [InlineData("::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("10.0.0.1", false)]
    [InlineData("192.168.1.10", false)]
    [InlineData("::ffff:8.8.8.8", false)]
    [InlineData("2001:db8::1", false)]
    public void The_loopback_rule(string address, bool local)
        => Assert.Equal(local, MetricsEndpoints.IsLocal(IPAddress.Parse(address)));

    [Theory]
    [InlineData("Bearer " + Token, true)]
    [InlineData("bearer " + Token + " ", true)]
    [InlineData("Bearer " + Token + "x", false)]
    [InlineData("Bearer ", false)]
    [InlineData(Token, false)]
    [InlineData("", false)]
    public void The_token_check(string header, bool matches) => Assert.Equal(matches, MetricsEndpoints.TokenMatches(header, Token));

    [Fact]
    public async Task Label_values_and_help_text_are_escaped()
    {
        // The exporter writes the text: an instrument on this host's Vidgate meter shows how it escapes.
        using var app = new VidgateApp(settings: new() { ["Vidgate:Workers"] = "false" });
        var meter = app.Service<IMeterFactory>().Create(VidgateMetrics.MeterName);
        var counter = meter.CreateCounter<double>("x", description: "help with \\ and\nnewline");
        const string nasty = "a\\b\"c\nd}e,f=\"g";
        counter.Add(3, new KeyValuePair<string, object?>("v", nasty), new KeyValuePair<string, object?>("w", ""));
        counter.Add(1.5, new KeyValuePair<string, object?>("v", "plain"));
        meter.CreateHistogram<double>("y").Record(1e9);
        using var local = app.Client(key: null);
        var written = await ScrapeAsync(local);

        Assert.Contains("# HELP x_total help with \\\\ and\\nnewline\n", written, StringComparison.Ordinal);
        Assert.Contains("x_total{v=\"a\\\\b\\\"c\\nd}e,f=\\\"g\",w=\"\"} 3\n", written, StringComparison.Ordinal);
        var parsed = Exposition.Parse(written);
        var samples = parsed.Samples.Where(s => s.Name == "x_total").ToList();
        Assert.Equal(nasty, samples.Single(s => s.Value == 3).Labels["v"]);
        Assert.Equal(1.5, samples.Single(s => s.Labels["v"] == "plain").Value);
        Assert.Contains("y_bucket{le=\"+Inf\"} 1\n", written, StringComparison.Ordinal);
    }

    internal static async Task<string> ScrapeAsync(HttpClient client)
    {
        var response = await client.GetAsync("/metrics", Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {text}");
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return text;
    }

    private static async Task<long> BalanceAsync(VidgateApp app, string accountId)
    {
        using var admin = app.Admin();
        var account = await admin.GetFromJsonAsync<JsonElement>($"/admin/accounts/{accountId}", Ct);
        Assert.Equal(0, account.GetProperty("held_micros").GetInt64());
        return account.GetProperty("balance_micros").GetInt64();
    }

    /// <summary>A request from the given client address (the in-process client has none), straight through the test server.</summary>
    private static async Task<(int StatusCode, string? ContentType, string Body)> SendAsync(VidgateApp app, string remote, string? bearer)
    {
        var context = await app.Server.SendAsync(http =>
        {
            http.Request.Method = "GET";
            http.Request.Path = "/metrics";
            http.Connection.RemoteIpAddress = IPAddress.Parse(remote);
            if (bearer is not null)
            {
                http.Request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer).ToString();
            }
        }, Ct);
        using var reader = new StreamReader(context.Response.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(Ct);
        if (context.Response.StatusCode == 200)
        {
            Exposition.Parse(body);
        }

        return (context.Response.StatusCode, context.Response.ContentType, body);
    }

    internal sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);

    /// <summary>
    /// A strict reader of the text format 0.0.4 as Vidgate writes it: every line is <c># HELP</c>, <c># TYPE</c> or a
    /// sample; every sample belongs to a metric with a TYPE given before it; label values use only the three escapes;
    /// histogram buckets are cumulative, end in <c>+Inf</c>, and that bucket equals <c>_count</c>.
    /// </summary>
    internal sealed partial class Exposition
    {
        public List<Sample> Samples { get; } = [];

        public Dictionary<string, string> Types { get; } = new(StringComparer.Ordinal);

        public double Value(string name, params (string Key, string Value)[] labels)
            => Samples.Single(s => s.Name == name && s.Labels.Count == labels.Length && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).Value;

        public double Sum(string name) => Samples.Where(s => s.Name == name).Sum(s => s.Value);

        public static Exposition Parse(string text)
        {
            Assert.EndsWith("\n", text, StringComparison.Ordinal);
            var result = new Exposition();
            var helps = new HashSet<string>(StringComparer.Ordinal);
            foreach (var line in text[..^1].Split('\n'))
            {
                if (line.StartsWith("# HELP ", StringComparison.Ordinal))
                {
                    var name = line[7..].Split(' ')[0];
                    Assert.Matches(MetricName(), name);
                    Assert.True(helps.Add(name), $"second HELP for {name}");
                    CheckHelpEscapes(line);
                    continue;
                }

                if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
                {
                    var parts = line[7..].Split(' ');
                    Assert.Equal(2, parts.Length);
                    Assert.Matches(MetricName(), parts[0]);
                    Assert.Contains(parts[1], new[] { "counter", "gauge", "histogram", "summary", "untyped" });
                    Assert.True(result.Types.TryAdd(parts[0], parts[1]), $"second TYPE for {parts[0]}");
                    Assert.DoesNotContain(result.Samples, s => Family(result, s.Name) == parts[0]);
                    continue;
                }

                Assert.False(line.StartsWith('#'), $"unexpected comment: {line}");
                result.Samples.Add(ParseSample(line));
                Assert.True(Family(result, result.Samples[^1].Name) is not null, $"no TYPE for the sample: {line}");
            }

            result.CheckHistograms();
            return result;
        }

        /// <summary>Help text may escape only a backslash and a newline.</summary>
        private static void CheckHelpEscapes(string line)
        {
            for (var i = 0; i < line.Length; i++)
            {
                if (line[i] == '\\')
                {
                    Assert.True(i + 1 < line.Length && line[i + 1] is '\\' or 'n', $"bad escape in help: {line}");
                    i++;
                }
            }
        }

        private static Sample ParseSample(string line)
        {
            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a sample line: {line}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var rest = match.Groups["labels"].Value;
            var i = 0;
            while (i < rest.Length)
            {
                var eq = rest.IndexOf("=\"", i, StringComparison.Ordinal);
                Assert.True(eq > i, $"bad labels: {line}");
                var name = rest[i..eq];
                Assert.Matches(LabelName(), name);
                var value = new StringBuilder();
                var j = eq + 2;
                for (; ; j++)
                {
                    Assert.True(j < rest.Length, $"unterminated label value: {line}");
                    if (rest[j] == '"')
                    {
                        break;
                    }

                    if (rest[j] == '\\')
                    {
                        j++;
                        Assert.True(j < rest.Length, $"dangling escape: {line}");
                        value.Append(rest[j] switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            _ => throw new FormatException($"bad escape \\{rest[j]}: {line}"),
                        });
                    }
                    else
                    {
                        value.Append(rest[j]);
                    }
                }

                Assert.True(labels.TryAdd(name, value.ToString()), $"label twice: {line}");
                i = j + 1;
                if (i < rest.Length)
                {
                    Assert.Equal(',', rest[i]);
                    i++;
                }
            }

            var number = match.Groups["value"].Value;
            var parsed = number switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            return new Sample(match.Groups["name"].Value, labels, parsed);
        }

        /// <summary>The metric a sample belongs to (its TYPE name), or null.</summary>
        private static string? Family(Exposition exposition, string sample)
        {
            if (exposition.Types.TryGetValue(sample, out var type) && type != "histogram")
            {
                return sample;
            }

            foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
            {
                if (sample.EndsWith(suffix, StringComparison.Ordinal) && exposition.Types.GetValueOrDefault(sample[..^suffix.Length]) == "histogram")
                {
                    return sample[..^suffix.Length];
                }
            }

            return null;
        }

        private void CheckHistograms()
        {
            foreach (var (name, _) in Types.Where(t => t.Value == "histogram"))
            {
                var series = Samples.Where(s => s.Name == name + "_bucket")
                    .GroupBy(s => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")));
                foreach (var buckets in series)
                {
                    var previous = (Le: double.NegativeInfinity, Count: 0.0);
                    foreach (var bucket in buckets)
                    {
                        var le = bucket.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(bucket.Labels["le"], CultureInfo.InvariantCulture);
                        Assert.True(le > previous.Le, $"{name}: buckets out of order");
                        Assert.True(bucket.Value >= previous.Count, $"{name}: buckets not cumulative");
                        previous = (le, bucket.Value);
                    }

                    Assert.Equal(double.PositiveInfinity, previous.Le);
                    var labels = buckets.First().Labels.Where(l => l.Key != "le").ToList();
                    bool Same(Sample s) => s.Labels.Count == labels.Count && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value);
                    Assert.Equal(previous.Count, Samples.Single(s => s.Name == name + "_count" && Same(s)).Value);
                    Assert.Single(Samples, s => s.Name == name + "_sum" && Same(s));
                }
            }
        }

        [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
        private static partial Regex MetricName();

        [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
        private static partial Regex LabelName();

        [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)$")]
        private static partial Regex SampleLine();
    }
}

/// <summary>Remote provider calls, counted by instance, operation and outcome (with the upstream tests: they share the cores).</summary>
[Collection(UpstreamCollection.Name)]
public sealed class UpstreamMetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_failover_and_a_finished_remote_task_are_counted_per_instance()
    {
        await using var busy = await FakeOpenAiUpstream.StartAsync();
        busy.Faults.SubmitStatus = 429;
        await using var spare = await FakeOpenAiUpstream.StartAsync();
        spare.Faults.MinJobDuration = spare.Faults.MaxJobDuration = TimeSpan.FromSeconds(1);
        using var app = UpstreamServer.Start();
        await UpstreamServer.ConnectAsync(app, "busy", "openai", busy.BaseUrl, busy.ApiKey, null, priority: 0);
        await UpstreamServer.ConnectAsync(app, "spare", "openai", spare.BaseUrl, spare.ApiKey, null, priority: 1);
        using var user = await app.NewUserAsync();

        var id = (await user.CreateAsync(new { model = "grok-imagine-video", prompt = "a calm lake", seconds = "2" })).GetProperty("id").GetString()!;
        await user.WaitForAsync(id, "completed", TimeSpan.FromSeconds(60));

        using var local = app.Client(key: null);
        MetricsTests.Exposition metrics;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        do
        {
            metrics = MetricsTests.Exposition.Parse(await MetricsTests.ScrapeAsync(local));
            if (metrics.Value("vidgate_tasks_finished_total", ("status", "completed"), ("provider", "upstream")) == 1)
            {
                break;
            }

            await Task.Delay(50, Ct);
        }
        while (DateTime.UtcNow < deadline);

        double Calls(string provider, string operation, string outcome)
            => metrics.Samples.Where(s => s.Name == "vidgate_upstream_requests_total" && s.Labels["provider"] == provider
                && s.Labels["operation"] == operation && s.Labels["outcome"] == outcome).Sum(s => s.Value);

        Assert.Equal(1, metrics.Value("vidgate_tasks_finished_total", ("status", "completed"), ("provider", "upstream")));
        Assert.Equal(1, metrics.Value("vidgate_tasks", ("status", "completed"), ("provider", "upstream")));
        Assert.Equal(0, metrics.Value("vidgate_tasks", ("status", "completed"), ("provider", "builtin")));
        Assert.True(Calls("busy", "submit", "unavailable") >= 1);
        Assert.Equal(0, Calls("busy", "submit", "ok"));
        Assert.Equal(1, Calls("spare", "submit", "ok"));
        Assert.True(Calls("spare", "poll", "ok") >= 1);
        Assert.Equal(1, Calls("spare", "download", "ok"));
        Assert.DoesNotContain(metrics.Samples, s => s.Name == "vidgate_upstream_requests_total" && s.Labels["outcome"] == "error" && s.Value > 0);
        Assert.DoesNotContain(metrics.Samples, s => s.Name == "vidgate_upstream_requests_total" && !(s.Labels["provider"] is "busy" or "spare"));
        Assert.DoesNotContain(busy.ApiKey, await MetricsTests.ScrapeAsync(local), StringComparison.Ordinal);
    }
}
