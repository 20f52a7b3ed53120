using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Proof;

/// <summary>One task the crash proof's client asked for: what it sent, and the id the server answered (once it did).</summary>
internal sealed record CrashPlan(int Index, int Account, string Model, int Seconds, string Prompt)
{
    public string? Id { get; set; }

    public string IdempotencyKey(int seed) => string.Create(CultureInfo.InvariantCulture, $"crash-{seed}-{Index}");
}

/// <summary>An account of the proof: its key, the tier's multiplier we set, and what we put on it.</summary>
internal sealed record CrashAccount(string Id, string Key, decimal Multiplier, long TopUp);

/// <summary>
/// The crash proof's world outside the server: prices and tiers it sets itself (so the charges can be computed without
/// asking the server), accounts, a webhook receiver that holds each delivery a moment (so deliveries are in flight when
/// the server dies), and clients that see every 5xx.
/// </summary>
internal sealed class CrashRig : IAsyncDisposable
{
    public const string BuiltinModel = "grok-imagine-video";
    public const string RoutedModel = "grok-video-3";

    /// <summary>Our price per second at 480p (micro-units), by model: set through the admin API, never read back.</summary>
    public static readonly IReadOnlyDictionary<string, long> PerSecond = new Dictionary<string, long>(StringComparer.Ordinal)
    {
        [BuiltinModel] = 41_000,
        [RoutedModel] = 67_000,
    };

    private readonly ConcurrentQueue<(string EventId, string TaskId, string Type)> _deliveries = new();
    private readonly ConcurrentQueue<string> _serverErrors = new();
    private readonly int[] _createsInFlight = new int[8];
    private int _hooksInFlight;

    private CrashRig(FakeHost hooks) => Hooks = hooks;

    public FakeHost Hooks { get; }

    public int HooksInFlight => Volatile.Read(ref _hooksInFlight);

    public IReadOnlyCollection<(string EventId, string TaskId, string Type)> Deliveries => _deliveries;

    public IReadOnlyCollection<string> ServerErrors => _serverErrors;

    /// <summary>Creates sent to node <paramref name="node"/> and not answered yet (the moment a mid-create kill aims at).</summary>
    public int CreatesInFlight(int node) => Volatile.Read(ref _createsInFlight[node]);

    public static async Task<CrashRig> StartAsync(CancellationToken ct)
    {
        CrashRig? rig = null;
        var hooks = await FakeHost.StartAsync(app => app.MapPost("/hook", (HttpContext http) => rig!.ReceiveAsync(http)), ct: ct);
        rig = new CrashRig(hooks);
        return rig;
    }

    /// <summary>Two tiers (×1 and ×1.5), our prices, <paramref name="count"/> accounts topped up, each with a key and a webhook endpoint.</summary>
    public async Task<List<CrashAccount>> SetUpAsync(HttpClient admin, int count, CancellationToken ct)
    {
        foreach (var (model, micros) in PerSecond)
        {
            await Api.OkJsonAsync(await admin.PutAsJsonAsync("/admin/prices", new { model, resolution = 480, per_second_micros = micros, per_image_micros = 0 }, ct));
        }

        decimal[] multipliers = [1m, 1.5m];
        foreach (var m in multipliers)
        {
            await Api.OkJsonAsync(await admin.PutAsJsonAsync($"/admin/tiers/{TierName(m)}", new { price_multiplier = m }, ct));
        }

        var accounts = new List<CrashAccount>();
        for (var i = 0; i < count; i++)
        {
            var multiplier = multipliers[i % multipliers.Length];
            var account = await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/accounts", new { name = $"crash-{i}", tier = TierName(multiplier) }, ct));
            var id = account.GetProperty("id").GetString()!;
            var topUp = 500_000_000L + (i * 1_000_003L);
            await Api.OkJsonAsync(await admin.PostAsJsonAsync($"/admin/accounts/{id}/top-up", new { amount_micros = topUp, reason = "crash proof" }, ct));
            var key = (await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/keys", new { name = $"crash-{i}", account_id = id }, ct))).GetProperty("key").GetString()!;
            await Api.OkJsonAsync(await admin.PostAsJsonAsync($"/admin/accounts/{id}/webhooks", new { url = new Uri(Hooks.BaseUrl, "/hook").ToString() }, ct));
            accounts.Add(new CrashAccount(id, key, multiplier, topUp));
        }

        return accounts;
    }

    /// <summary>What a completed task must have cost: our price × the seconds it delivered × the tier, rounded up (docs/billing.md).</summary>
    public static long Charge(string model, int seconds, decimal multiplier) => (long)Math.Ceiling(PerSecond[model] * seconds * multiplier);

    /// <summary>A client of node <paramref name="node"/> whose every answer is checked: a 5xx is recorded (and fails the proof at the end).</summary>
    public HttpClient Client(Uri baseAddress, string key, int node = 0)
    {
        var client = new HttpClient(new Checking(this, node) { InnerHandler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(5) } })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>
    /// Creates the task the way a careful client does: with an Idempotency-Key, again and again on a connection failure
    /// (the server is down) until an answer comes, on any of <paramref name="clients"/> (the nodes). The id is recorded.
    /// </summary>
    public static async Task CreateAsync(CrashPlan plan, int seed, IReadOnlyList<HttpClient> clients, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/videos")
            {
                Content = JsonContent.Create(new { model = plan.Model, prompt = plan.Prompt, seconds = plan.Seconds.ToString(CultureInfo.InvariantCulture), resolution = "480P" }),
            };
            request.Headers.Add("Idempotency-Key", plan.IdempotencyKey(seed));
            try
            {
                using var response = await clients[(plan.Index + attempt) % clients.Count].SendAsync(request, ct);
                if (response.IsSuccessStatusCode)
                {
                    plan.Id = (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString();
                    return;
                }

                Assert.True((int)response.StatusCode >= 500, $"create {plan.Index} refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            }
            catch (HttpRequestException)
            {
                // The node is down (killed): try again, as a client would.
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // No answer in time: the node died mid-request.
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromMinutes(3), $"create {plan.Index} never got an answer");
            await Task.Delay(100, ct);
        }
    }

    /// <summary>A GET that waits out a node being down (the proof's reads go on while the server restarts).</summary>
    public static async Task<JsonElement> ReadAsync(IReadOnlyList<HttpClient> clients, string path, int turn, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var response = await clients[(turn + attempt) % clients.Count].GetAsync(path, ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return await response.Content.ReadFromJsonAsync<JsonElement>(ct);
                }

                Assert.True((int)response.StatusCode >= 500 && attempt < 600, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            }
            catch (HttpRequestException) when (attempt < 600)
            {
            }

            await Task.Delay(100, ct);
        }
    }

    /// <summary>Every ledger entry of an account, all pages.</summary>
    public static async Task<List<(string Kind, long Amount, string? TaskId)>> LedgerAsync(HttpClient admin, string accountId, CancellationToken ct)
    {
        var entries = new List<(string, long, string?)>();
        long after = 0;
        while (true)
        {
            var page = await Api.OkJsonAsync(await admin.GetAsync($"/admin/accounts/{accountId}/ledger?limit=1000&after={after}", ct));
            foreach (var e in page.GetProperty("data").EnumerateArray())
            {
                entries.Add((e.GetProperty("kind").GetString()!, e.GetProperty("amount_micros").GetInt64(),
                    e.TryGetProperty("task_id", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null));
                after = e.GetProperty("seq").GetInt64();
            }

            if (!page.GetProperty("has_more").GetBoolean())
            {
                return entries;
            }
        }
    }

    /// <summary>A video's delivered seconds, as the task shows them (a number or a numeric string, by dialect).</summary>
    public static int Seconds(JsonElement video)
    {
        var seconds = video.GetProperty("seconds");
        return seconds.ValueKind == JsonValueKind.Number
            ? (int)Math.Round(seconds.GetDouble())
            : (int)Math.Round(double.Parse(seconds.GetString()!, CultureInfo.InvariantCulture));
    }

    /// <summary>The killed server's ffmpeg runs are orphans (a real crash leaves them too): stop them so they cannot write on.</summary>
    public static void KillOrphans(string dataDir)
    {
        foreach (var pid in Processes.WithCommandLineContaining(dataDir))
        {
            try
            {
                Process.GetProcessById(pid).Kill();
            }
            catch (ArgumentException)
            {
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    public ValueTask DisposeAsync() => Hooks.DisposeAsync();

    private static string TierName(decimal multiplier) => multiplier == 1m ? "crash-x1" : "crash-x15";

    private async Task ReceiveAsync(HttpContext http)
    {
        Interlocked.Increment(ref _hooksInFlight);
        try
        {
            using var body = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            var root = body.RootElement;
            var data = root.GetProperty("data");
            var taskId = data.TryGetProperty("id", out var id) ? id.GetString() ?? "" : "";

            // Held a moment, as a slow receiver would: the proof's kills can land while deliveries are in flight.
            await Task.Delay(300, http.RequestAborted);
            _deliveries.Enqueue((root.GetProperty("id").GetString()!, taskId, root.GetProperty("type").GetString()!));
            http.Response.StatusCode = 204;
        }
        finally
        {
            Interlocked.Decrement(ref _hooksInFlight);
        }
    }

    private sealed class Checking(CrashRig rig, int node) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var create = request.Method == HttpMethod.Post && request.RequestUri?.AbsolutePath == "/v1/videos";
            if (create)
            {
                Interlocked.Increment(ref rig._createsInFlight[node]);
            }

            try
            {
                var response = await base.SendAsync(request, cancellationToken);
                if ((int)response.StatusCode >= 500)
                {
                    rig._serverErrors.Enqueue($"{(int)response.StatusCode} {request.Method} {request.RequestUri}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }

                return response;
            }
            finally
            {
                if (create)
                {
                    Interlocked.Decrement(ref rig._createsInFlight[node]);
                }
            }
        }
    }
}
