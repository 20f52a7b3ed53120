using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Vidgate.Fakes;

/// <summary>Faults a vendor fake can be told to answer its next submits or polls with (each in the vendor's own error shape).</summary>
public enum VendorFault
{
    /// <summary>429 with <c>Retry-After</c> = <see cref="FakeVendorOptions.RetryAfter"/>.</summary>
    RateLimited,

    /// <summary>429 without <c>Retry-After</c> (most vendors document none).</summary>
    RateLimitedBare,

    /// <summary>The vendor's 5xx.</summary>
    ServerError,

    /// <summary>No answer until the client gives up.</summary>
    Hang,

    /// <summary>The connection is dropped without an answer.</summary>
    Reset,

    /// <summary>HTTP 200 with a body that is not the vendor's JSON.</summary>
    Garbage,
}

/// <summary>Knobs shared by the vendor fakes; mutable so a test can change them while the fake runs.</summary>
public sealed class FakeVendorOptions
{
    /// <summary>The one credential the fake accepts, in the form the instance's <c>api_keys</c> holds it.</summary>
    public string ApiKey { get; set; } = "fake-vendor-key";

    /// <summary>The clock jobs (and result lifetimes) run on.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    public TimeSpan JobLength { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>When set, each job lasts a random time between this and <see cref="JobLength"/> (benchmarks).</summary>
    public TimeSpan? MinJobLength { get; set; }

    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Error messages and failed jobs quote the credential the request carried, as careless upstreams do.</summary>
    public bool EchoKeyInErrors { get; set; }
}

/// <summary>What a vendor fake does with the callback URL a submit carried.</summary>
public enum CallbackMode
{
    /// <summary>As the vendor does: a notice when the job starts and one when it ends (MiniMax verifies the URL first).</summary>
    Send,

    /// <summary>None at all (the vendor's callbacks are lost): polling alone must finish the job.</summary>
    Drop,

    /// <summary>One notice at once claiming the job succeeded while it still runs, then nothing: a forged callback.</summary>
    Forge,
}

/// <summary>A callback the fake sent: where, what, and the server's answer (0: no answer).</summary>
public sealed record FakeCallback(string Url, string Body, int Status);

/// <summary>One request as the fake received it (for assertions on what the adapter put on the wire).</summary>
public sealed record FakeVendorRequest(string Method, string Path, JsonElement? Json, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// What the vendor fakes share: a real Kestrel on loopback, jobs that run <see cref="FakeVendorOptions.JobLength"/> on
/// the fake clock, queued faults, recorded requests, the MP4 to serve. Prompt markers pick an outcome deterministically:
/// <c>[fake:reject]</c> (input moderation at submit, where the vendor has one), <c>[fake:failed]</c>,
/// <c>[fake:moderation]</c> (the output is filtered), <c>[fake:result-404]</c> (the result URL is gone).
/// Each vendor fake maps its documented paths and writes its documented bodies.
/// </summary>
public abstract class FakeVendor : IAsyncDisposable
{
    private readonly ConcurrentQueue<VendorFault> _submitFaults = new();
    private readonly ConcurrentQueue<VendorFault> _pollFaults = new();
    private FakeHost? _host;
    private int _downloads;
    private int _seq;

    protected FakeVendor(FakeVendorOptions options) => Options = options;

    public FakeVendorOptions Options { get; }

    public Uri BaseUrl => _host!.BaseUrl;

    public ConcurrentQueue<FakeVendorRequest> Requests { get; } = new();

    /// <summary>Result downloads served (the bytes, not redirects or refusals).</summary>
    public int Downloads => Volatile.Read(ref _downloads);

    /// <summary>Jobs accepted, by the vendor's id.</summary>
    public ConcurrentDictionary<string, FakeVendorJob> Jobs { get; } = new(StringComparer.Ordinal);

    /// <summary>Ids the client asked to cancel (for vendors that document a cancel).</summary>
    public ConcurrentDictionary<string, bool> Cancelled { get; } = new(StringComparer.Ordinal);

    /// <summary>What the fake does with submits' callback URLs; changeable while it runs.</summary>
    public CallbackMode Callbacks { get; set; } = CallbackMode.Send;

    /// <summary>
    /// How a callback reaches the server: a test routes it into its in-process server; by default a real HTTP POST
    /// (the fake as its own process in benchmarks).
    /// </summary>
    public Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>>? DeliverCallback { get; set; }

    /// <summary>The callbacks sent, oldest first.</summary>
    public ConcurrentQueue<FakeCallback> CallbacksSent { get; } = new();

    /// <summary>The accepted submits' bodies, oldest first.</summary>
    public IReadOnlyList<JsonElement> Submitted => [.. Jobs.Values.OrderBy(j => j.Created).ThenBy(j => j.Seq).Select(j => j.Body)];

    public void FailNextSubmits(VendorFault fault, int count = 1)
    {
        for (var i = 0; i < count; i++)
        {
            _submitFaults.Enqueue(fault);
        }
    }

    public void FailNextPolls(VendorFault fault, int count = 1)
    {
        for (var i = 0; i < count; i++)
        {
            _pollFaults.Enqueue(fault);
        }
    }

    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return _host?.DisposeAsync() ?? ValueTask.CompletedTask;
    }

    protected async Task StartHostAsync(int port, CancellationToken ct) => _host = await FakeHost.StartAsync(app =>
    {
        Map(app);
        MapBench(app);
    }, port, ct);

    /// <summary>
    /// What the tracking benchmark reads, as the fake xAI serves it: <c>/_fake/jobs</c> ("id done_ms polls tag
    /// created_ms" per job, <c>?since_ms=</c>) and <c>/_fake/stats</c> ("submits polls downloads jobs").
    /// </summary>
    private void MapBench(WebApplication app)
    {
        app.MapGet("/_fake/jobs", (HttpContext http) =>
        {
            var since = long.TryParse(http.Request.Query["since_ms"], CultureInfo.InvariantCulture, out var ms) ? ms : 0;
            var text = new System.Text.StringBuilder();
            foreach (var job in Jobs.Values.Where(j => j.Created.ToUnixTimeMilliseconds() >= since))
            {
                var tag = System.Text.RegularExpressions.Regex.Match(job.Prompt, @"\[bench:(\d+)\]").Groups[1].Value;
                text.Append(CultureInfo.InvariantCulture, $"{job.Id} {job.DoneAt.ToUnixTimeMilliseconds()} 0 {tag} {job.Created.ToUnixTimeMilliseconds()}\n");
            }

            return Results.Text(text.ToString());
        });
        app.MapGet("/_fake/stats", () =>
        {
            var submits = Requests.Count(r => r.Method == "POST");
            var polls = Requests.Count(r => r.Method == "GET" && !r.Path.StartsWith("/_", StringComparison.Ordinal));
            return Results.Text($"{submits} {polls} {Downloads} {Jobs.Count}\n");
        });
    }

    protected abstract void Map(WebApplication app);

    /// <summary>Writes the vendor's answer to a queued fault (its 429 and 5xx bodies).</summary>
    protected abstract Task WriteFaultAsync(HttpContext http, VendorFault fault);

    /// <summary>Records the request and reads its JSON body (null when it has none or it is not JSON).</summary>
    protected async Task<JsonElement?> RecordAsync(HttpContext http)
    {
        JsonElement? json = null;
        if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            try
            {
                json = (await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted)).RootElement.Clone();
            }
            catch (JsonException)
            {
                json = null;
            }
        }

        Requests.Enqueue(new FakeVendorRequest(http.Request.Method, http.Request.Path + http.Request.QueryString, json,
            http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString())));
        return json;
    }

    /// <summary>Answers a queued fault of a submit (<paramref name="submit"/>) or a poll; false when none is queued.</summary>
    protected async Task<bool> FaultAsync(HttpContext http, bool submit)
    {
        if (!(submit ? _submitFaults : _pollFaults).TryDequeue(out var fault))
        {
            return false;
        }

        switch (fault)
        {
            case VendorFault.Hang:
                await Task.Delay(Timeout.Infinite, http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                break;
            case VendorFault.Reset:
                http.Abort();
                break;
            case VendorFault.Garbage:
                await WriteJsonAsync(http, 200, "{\"done\": tr");
                break;
            case VendorFault.RateLimited:
                http.Response.Headers.RetryAfter = ((int)Math.Ceiling(Options.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await WriteFaultAsync(http, fault);
                break;
            default:
                await WriteFaultAsync(http, fault);
                break;
        }

        return true;
    }

    protected FakeVendorJob NewJob(string id, string prompt, JsonElement body, string family = "")
    {
        var now = Options.Clock.GetUtcNow();
        var length = Options.MinJobLength is { } min && min < Options.JobLength
            ? min + (Options.JobLength - min) * Random.Shared.NextDouble()
            : Options.JobLength;
        var job = new FakeVendorJob(id, prompt, body, family, now, now + length, Interlocked.Increment(ref _seq));
        Jobs[id] = job;
        return job;
    }

    protected bool Running(FakeVendorJob job) => Options.Clock.GetUtcNow() < job.DoneAt;

    /// <summary>
    /// The vendor's callback body for <paramref name="job"/>: running, or ended (<paramref name="done"/>; the job's markers
    /// say how). Null: the vendor sends no notice at that point (fal only calls when done).
    /// </summary>
    protected virtual string? CallbackBody(FakeVendorJob job, bool done) => null;

    /// <summary>Adds the vendor's signature headers to a callback (Replicate signs; most vendors send none).</summary>
    protected virtual void SignCallback(HttpRequestMessage request, string body)
    {
    }

    /// <summary>Checks the URL before any notice where the vendor does (MiniMax's challenge); false stops the callbacks.</summary>
    protected virtual Task<bool> VerifyCallbackUrlAsync(string url, CancellationToken ct) => Task.FromResult(true);

    /// <summary>A string field of a submit body (the vendor's callback field), or null.</summary>
    protected static string? Field(JsonElement? body, string name)
        => body is { ValueKind: JsonValueKind.Object } root && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Starts calling <paramref name="url"/> back about <paramref name="job"/> as <see cref="Callbacks"/> says (nothing without a URL).</summary>
    protected void StartCallbacks(FakeVendorJob job, string? url)
    {
        if (!string.IsNullOrEmpty(url) && Callbacks != CallbackMode.Drop)
        {
            _ = RunCallbacksAsync(job, url, Callbacks);
        }
    }

    private async Task RunCallbacksAsync(FakeVendorJob job, string url, CallbackMode mode)
    {
        try
        {
            // The submit's answer goes out first, as at a real vendor, whose notices come from another system.
            await Task.Yield();
            if (!await VerifyCallbackUrlAsync(url, CancellationToken.None))
            {
                return;
            }

            if (mode == CallbackMode.Forge)
            {
                // A quarter into the job: the server has taken it by then, so the lie meets a job it tracks.
                await Task.Delay((job.DoneAt - job.Created) / 4, Options.Clock);
                await PostCallbackAsync(url, CallbackBody(job with { Prompt = "forged" }, done: true), CancellationToken.None);
                return;
            }

            await PostCallbackAsync(url, CallbackBody(job, done: false), CancellationToken.None);
            var wait = job.DoneAt - Options.Clock.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, Options.Clock);
            }

            if (Callbacks != CallbackMode.Drop)
            {
                await PostCallbackAsync(url, CallbackBody(job, done: true), CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // A vendor whose callback fails gives up after its retries; the server still polls.
        }
    }

    /// <summary>POSTs <paramref name="body"/> as JSON to <paramref name="url"/> (signed where the vendor signs); the answer's status, 0 when none.</summary>
    protected async Task<(int Status, string Answer)> PostCallbackAsync(string url, string? body, CancellationToken ct)
    {
        if (body is null)
        {
            return (0, "");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        SignCallback(request, body);
        using var response = await (DeliverCallback ?? DefaultDelivery)(request, ct);
        var answer = await response.Content.ReadAsStringAsync(ct);
        CallbacksSent.Enqueue(new FakeCallback(url, body, (int)response.StatusCode));
        return ((int)response.StatusCode, answer);
    }

    private static readonly HttpClient CallbackClient = new() { Timeout = TimeSpan.FromSeconds(5) };

    private static Task<HttpResponseMessage> DefaultDelivery(HttpRequestMessage request, CancellationToken ct) => CallbackClient.SendAsync(request, ct);

    /// <summary>" (key …)" when the fake echoes credentials, else empty.</summary>
    protected string Echo(string? credential) => Options.EchoKeyInErrors && !string.IsNullOrEmpty(credential) ? $" (request key {credential})" : "";

    /// <summary>Serves the MP4 unless the job is unknown, unfinished, marked <c>[fake:result-404]</c> or older than <paramref name="lifetime"/>.</summary>
    protected async Task ServeVideoAsync(HttpContext http, string id, TimeSpan lifetime)
    {
        var now = Options.Clock.GetUtcNow();
        if (!Jobs.TryGetValue(id, out var job) || now < job.DoneAt || now > job.DoneAt + lifetime || job.Prompt.Contains("[fake:result-404]", StringComparison.Ordinal))
        {
            http.Response.StatusCode = 404;
            return;
        }

        Interlocked.Increment(ref _downloads);
        var video = FakeMedia.SmallMp4;
        http.Response.ContentType = "video/mp4";
        http.Response.ContentLength = video.Length;
        await http.Response.Body.WriteAsync(video, http.RequestAborted);
    }

    protected static async Task WriteJsonAsync(HttpContext http, int status, string json)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(json, http.RequestAborted);
    }

    protected static string Quote(string text) => JsonSerializer.Serialize(text);

}

/// <summary>A job a vendor fake accepted.</summary>
public sealed record FakeVendorJob(string Id, string Prompt, JsonElement Body, string Family, DateTimeOffset Created, DateTimeOffset DoneAt, int Seq)
{
    public bool Marked(string marker) => Prompt.Contains($"[fake:{marker}]", StringComparison.Ordinal);
}
