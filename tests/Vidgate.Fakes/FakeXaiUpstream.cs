using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Vidgate.Fakes;

/// <summary>A fault a fake answers with instead of the protocol's normal reply.</summary>
public enum FakeFault
{
    /// <summary>HTTP 429 with <c>Retry-After</c>.</summary>
    RateLimited,

    /// <summary>HTTP 500.</summary>
    ServerError,

    /// <summary>No answer until the client gives up.</summary>
    Timeout,

    /// <summary>The connection is reset without a response.</summary>
    Reset,

    /// <summary>HTTP 200 with a body that is not JSON.</summary>
    Malformed,

    /// <summary>Submit only: the job is made, then the connection is reset (the answer is lost).</summary>
    ResetAfterAccept,

    /// <summary>Submit only: the job is made, then no answer until the client gives up.</summary>
    TimeoutAfterAccept,

    /// <summary>Submit only: the job is made, then HTTP 200 with a body that is not JSON.</summary>
    MalformedAfterAccept,

    /// <summary>Result only: the temporary URL has expired (HTTP 403, as a pre-signed URL past its time answers).</summary>
    ExpiredUrl,

    /// <summary>Result only: HTTP 200 <c>video/mp4</c> whose body is an HTML page.</summary>
    NotVideo,
}

/// <summary>Knobs of <see cref="FakeXaiUpstream"/>; mutable so a test can change them while the fake runs.</summary>
public sealed class FakeXaiOptions
{
    public string ApiKey { get; set; } = "xai-fake-key";

    /// <summary>Jobs take a random time in [<see cref="MinJob"/>, <see cref="MaxJob"/>] (prompt <c>[fake:seconds=2.5]</c> overrides).</summary>
    public TimeSpan MinJob { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxJob { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Added to every answer.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Probability that any submit or poll answers with a random fault (429, 500, reset, malformed).</summary>
    public double FaultRate { get; set; }

    /// <summary>
    /// Probability that a poll or a result download answers 500 (only that fault): an upstream whose GETs sometimes fail,
    /// as measured from outside (5 % of polls), for the notice-lag benchmark.
    /// </summary>
    public double PollFaultRate { get; set; }

    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Source of the random faults and job lengths; a chaos test sets a seeded one so its run can be replayed.</summary>
    public Random Random { get; set; } = Random.Shared;

    /// <summary>The clock jobs run on; a test shares a fake one with the server to run long schedules in no time.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>The first poll of a job answers only <c>{"request_id"}</c>, as xAI does very early (api-contracts §3.3).</summary>
    public bool EarlyPollWithoutStatus { get; set; } = true;

    /// <summary>
    /// A done job reports <c>usage.cost_in_usd_ticks</c> = its <c>duration</c> × this (1 USD = 10,000,000,000 ticks;
    /// the default is $0.05 per second, xAI's 480p list price).
    /// </summary>
    public long CostTicksPerSecond { get; set; } = 500_000_000;

    /// <summary>
    /// Fault switch for the cost: when set, the raw JSON written as a done job's <c>usage</c> value instead of
    /// <c>{"cost_in_usd_ticks": duration × CostTicksPerSecond}</c> (e.g. <c>{"cost_in_usd_ticks":-5}</c>, <c>"free"</c>);
    /// the empty string leaves <c>usage</c> out.
    /// </summary>
    public string? UsageJson { get; set; }

    /// <summary>When set, a pending job reports this progress instead of its real one (e.g. 100 or more before it is done, as some passthroughs do).</summary>
    public int? RunningProgress { get; set; }

    /// <summary>Error messages (a refused submit, a failed job) quote the key the request carried, as careless upstreams do.</summary>
    public bool EchoKeyInErrors { get; set; }

    /// <summary>A seeded fault plan drawn for every submit, poll and job result (the faults proof); null: none.</summary>
    public FakeFaultPlan? Plan { get; set; }

    /// <summary>A result download waits this long after its headers before the body (a download in flight for a crash test).</summary>
    public TimeSpan ResultDelay { get; set; }
}

/// <summary>
/// xAI's video API as documented (api-contracts.md §3): <c>POST /v1/videos/generations</c> (JSON only, Bearer key) →
/// <c>{"request_id"}</c>; <c>GET /v1/videos/{request_id}</c> → <c>{status: pending|done|failed|expired, progress, model,
/// video:{url, duration, respect_moderation}, usage:{cost_in_usd_ticks}}</c>, always HTTP 200; the temporary
/// <c>video.url</c> serves the MP4. Deterministic faults by prompt marker: <c>[fake:moderation]</c>, <c>[fake:failed]</c>,
/// <c>[fake:expired]</c>, <c>[fake:result-404]</c>, <c>[fake:not-video]</c>, <c>[fake:reject]</c> (400 at submit),
/// <c>[fake:submit-hang]</c> (job accepted, answer never sent), <c>[fake:odd-status]</c> (undocumented status words
/// while running), <c>[fake:seconds=N]</c>; queued faults with
/// <see cref="FailNextSubmits"/> / <see cref="FailNextPolls"/>; random ones with <see cref="FakeXaiOptions.FaultRate"/>.
/// </summary>
public sealed partial class FakeXaiUpstream : IAsyncDisposable
{
    private static readonly string[] AspectRatios = ["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3"];
    private static readonly FakeFault[] RandomFaults = [FakeFault.RateLimited, FakeFault.ServerError, FakeFault.Reset, FakeFault.Malformed];

    private readonly ConcurrentDictionary<string, Job> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<FakeFault> _submitFaults = new();
    private readonly ConcurrentQueue<FakeFault> _pollFaults = new();
    private readonly byte[] _video;
    private FakeHost? _host;
    private int _submits;
    private int _polls;
    private int _downloads;
    private int _lostAnswers;

    private FakeXaiUpstream(FakeXaiOptions options, byte[] video)
    {
        Options = options;
        _video = video;
    }

    public FakeXaiOptions Options { get; }

    public Uri BaseUrl => _host!.BaseUrl;

    /// <summary>Submits that reached the fake and were accepted (a job exists for each).</summary>
    public int Accepted => _jobs.Count;

    /// <summary>Every <c>POST /v1/videos/generations</c> that arrived, whatever the answer.</summary>
    public int Submits => Volatile.Read(ref _submits);

    public int Polls => Volatile.Read(ref _polls);

    /// <summary>Result downloads begun (a video body about to be sent).</summary>
    public int Downloads => Volatile.Read(ref _downloads);

    /// <summary>Submits whose job was made and whose answer was then lost (<see cref="FakeFaultPlan"/>'s after-accept faults).</summary>
    public int LostAnswers => Volatile.Read(ref _lostAnswers);

    /// <summary>Every job made: its request body, the result fault it was given, and whether its submit's answer was lost.</summary>
    public IReadOnlyList<(JsonElement Body, FakeFault? ResultFault, bool AnswerLost)> Made => [.. _jobs.Values.Select(j => (j.Body, j.ResultFault, j.AnswerLost))];

    /// <summary>The last accepted request bodies, by request id.</summary>
    public IReadOnlyDictionary<string, JsonElement> Requests => _jobs.ToDictionary(j => j.Key, j => j.Value.Body);

    /// <summary>Times each job was polled, by request id.</summary>
    public int PollsOf(string requestId) => _jobs.TryGetValue(requestId, out var job) ? job.Polls : 0;

    public void FailNextSubmits(FakeFault fault, int count = 1)
    {
        for (var i = 0; i < count; i++)
        {
            _submitFaults.Enqueue(fault);
        }
    }

    public void FailNextPolls(FakeFault fault, int count = 1)
    {
        for (var i = 0; i < count; i++)
        {
            _pollFaults.Enqueue(fault);
        }
    }

    public static async Task<FakeXaiUpstream> StartAsync(FakeXaiOptions? options = null, int port = 0, CancellationToken ct = default)
    {
        var fake = new FakeXaiUpstream(options ?? new FakeXaiOptions(), FakeMedia.SmallMp4);
        fake._host = await FakeHost.StartAsync(fake.Map, port, ct);
        return fake;
    }

    public static FakeXaiOptions OptionsFromArgs(string[] args)
    {
        string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        double Number(string name, double fallback) => Arg(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return new FakeXaiOptions
        {
            ApiKey = Arg("--key") ?? "xai-fake-key",
            MinJob = TimeSpan.FromSeconds(Number("--min-seconds", 5)),
            MaxJob = TimeSpan.FromSeconds(Number("--max-seconds", 120)),
            FaultRate = Number("--fault-rate", 0),
            PollFaultRate = Number("--poll-fault-rate", 0),
            EarlyPollWithoutStatus = true,
        };
    }

    public ValueTask DisposeAsync() => _host?.DisposeAsync() ?? ValueTask.CompletedTask;

    private void Map(WebApplication app)
    {
        app.MapPost("/v1/videos/generations", SubmitAsync);
        app.MapGet("/v1/videos/{id}", PollAsync);
        app.MapGet("/v1/models", ModelsAsync);
        app.MapGet("/files/{id}.mp4", ResultAsync);

        // Bench bookkeeping, not part of xAI's API: when each job became done, and how often it was polled.
        app.MapGet("/_fake/jobs", (HttpContext http) => Jobs(http));
        app.MapGet("/_fake/stats", () => $"{Submits} {Polls} {Volatile.Read(ref _downloads)} {_jobs.Count}\n");
    }

    /// <summary>xAI's model list: what a credential check calls (a bad key is a 401, as everywhere).</summary>
    private async Task ModelsAsync(HttpContext http)
    {
        if (!Authorized(http))
        {
            await ErrorAsync(http, 401, "invalid_api_key", "Incorrect API key provided.");
            return;
        }

        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync("""{"object":"list","data":[{"id":"grok-imagine-video","object":"model","owned_by":"xai"}]}""");
    }

    private async Task SubmitAsync(HttpContext http)
    {
        Interlocked.Increment(ref _submits);
        if (!Authorized(http))
        {
            await ErrorAsync(http, 401, "invalid_api_key", "Incorrect API key provided.");
            return;
        }

        // A queued or planned fault that loses the answer of a made job acts after the job is made (below); any other before.
        var planned = _submitFaults.TryPeek(out var head) && AfterAccept(head) && _submitFaults.TryDequeue(out var queued) ? queued
            : Options.Plan?.Draw(FakeCall.Submit);
        if (!AfterAccept(planned) && await FaultAsync(http, _submitFaults, planned))
        {
            return;
        }

        if (http.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            // xAI takes JSON only; multipart bodies are refused (peers.md §5).
            await ErrorAsync(http, 415, "unsupported_media_type", "Content-Type must be application/json.");
            return;
        }

        JsonElement body;
        try
        {
            body = (await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted)).RootElement.Clone();
        }
        catch (JsonException)
        {
            await ErrorAsync(http, 400, "invalid_json", "The body is not valid JSON.");
            return;
        }

        if (Invalid(body) is { } problem)
        {
            await ErrorAsync(http, 400, "invalid_request", problem);
            return;
        }

        var prompt = body.GetProperty("prompt").GetString()!;
        if (prompt.Contains("[fake:reject]", StringComparison.Ordinal))
        {
            await ErrorAsync(http, 400, "content_policy_violation", "The prompt was rejected by content moderation." + Echo());
            return;
        }

        var id = Guid.NewGuid().ToString();
        var duration = SecondsMarker().Match(prompt) is { Success: true } m
            ? TimeSpan.FromSeconds(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            : Options.MinJob + (Options.MaxJob - Options.MinJob) * Draw();
        var created = Options.Clock.GetUtcNow();
        _jobs[id] = new Job(id, body, prompt, body.TryGetProperty("model", out var model) ? model.GetString() ?? "grok-imagine-video" : "grok-imagine-video",
            body.TryGetProperty("duration", out var d) ? d.GetInt32() : 8, created, created + duration)
        {
            ResultFault = Options.Plan?.Draw(FakeCall.Result),
            AnswerLost = AfterAccept(planned),
        };

        // The gateway's ambiguous case: the job exists upstream, the answer does not arrive.
        switch (planned)
        {
            case FakeFault.ResetAfterAccept:
                Interlocked.Increment(ref _lostAnswers);
                http.Abort();
                return;
            case FakeFault.TimeoutAfterAccept:
                Interlocked.Increment(ref _lostAnswers);
                await Task.Delay(Timeout.Infinite, http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            case FakeFault.MalformedAfterAccept:
                Interlocked.Increment(ref _lostAnswers);
                await WriteJsonAsync(http, 200, "{\"request_");
                return;
        }

        if (prompt.Contains("[fake:submit-hang]", StringComparison.Ordinal))
        {
            // Accepted upstream, but the answer never arrives: the gateway's crash window.
            await Task.Delay(Timeout.Infinite, http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            return;
        }

        await Delay(http);
        await WriteJsonAsync(http, 200, $$"""{"request_id":"{{id}}"}""");
    }

    private async Task PollAsync(HttpContext http, string id)
    {
        Interlocked.Increment(ref _polls);
        if (!Authorized(http))
        {
            await ErrorAsync(http, 401, "invalid_api_key", "Incorrect API key provided.");
            return;
        }

        if (!_jobs.TryGetValue(id, out var job))
        {
            await ErrorAsync(http, 404, "not_found", $"No video request with id {id}.");
            return;
        }

        var polls = Interlocked.Increment(ref job.PollCount);
        if (await FaultAsync(http, _pollFaults, Options.Plan?.Draw(FakeCall.Poll)) || await GetFaultAsync(http))
        {
            return;
        }

        await Delay(http);
        var now = Options.Clock.GetUtcNow();
        if (polls == 1 && Options.EarlyPollWithoutStatus && now < job.DoneAt)
        {
            await WriteJsonAsync(http, 200, $$"""{"request_id":"{{id}}"}""");
            return;
        }

        if (now < job.DoneAt && job.Prompt.Contains("[fake:odd-status]", StringComparison.Ordinal))
        {
            // Words outside xAI's documented four, as some passthroughs send them (api-contracts §3.3).
            await WriteJsonAsync(http, 200, $$"""{"status":"{{(polls % 2 == 0 ? "queued" : "processing")}}","model":"{{job.Model}}"}""");
            return;
        }

        if (now < job.DoneAt)
        {
            var progress = Options.RunningProgress ?? (int)Math.Clamp((now - job.Created) / (job.DoneAt - job.Created) * 100, 0, 99);
            await WriteJsonAsync(http, 200, $$"""{"status":"pending","progress":{{progress}},"model":"{{job.Model}}"}""");
            return;
        }

        var url = $"{BaseUrl.ToString().TrimEnd('/')}/files/{id}.mp4";
        var json = job.Prompt switch
        {
            var p when p.Contains("[fake:failed]", StringComparison.Ordinal)
                => $$$"""{"status":"failed","model":"{{{job.Model}}}","error":{"code":"internal_error","message":"Video generation failed.{{{Echo()}}}"}}""",
            var p when p.Contains("[fake:expired]", StringComparison.Ordinal) => $$"""{"status":"expired","model":"{{job.Model}}"}""",
            var p when p.Contains("[fake:moderation]", StringComparison.Ordinal)
                => $$$"""{"status":"done","progress":100,"model":"{{{job.Model}}}","video":{"url":"{{{url}}}","duration":{{{job.Duration}}},"respect_moderation":false}}""",
            _ => $$$"""{"status":"done","progress":100,"model":"{{{job.Model}}}","video":{"url":"{{{url}}}","duration":{{{job.Duration}}},"respect_moderation":true}{{{Usage(job)}}}}""",
        };
        await WriteJsonAsync(http, 200, json);
    }

    /// <summary>The <c>,"usage":…</c> member of a done answer (see <see cref="FakeXaiOptions.UsageJson"/>).</summary>
    private string Usage(Job job) => Options.UsageJson switch
    {
        null => string.Create(CultureInfo.InvariantCulture, $$""","usage":{"cost_in_usd_ticks":{{job.Duration * Options.CostTicksPerSecond}}}"""),
        "" => "",
        var raw => ",\"usage\":" + raw,
    };

    private async Task ResultAsync(HttpContext http, string id)
    {
        if (await GetFaultAsync(http))
        {
            return;
        }

        // Temporary URLs need no key (they are pre-signed upstream).
        if (!_jobs.TryGetValue(id, out var job) || job.Prompt.Contains("[fake:result-404]", StringComparison.Ordinal) || Options.Clock.GetUtcNow() < job.DoneAt)
        {
            http.Response.StatusCode = 404;
            return;
        }

        if (job.ResultFault == FakeFault.ExpiredUrl)
        {
            http.Response.StatusCode = 403;
            http.Response.ContentType = "application/xml";
            await http.Response.WriteAsync("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", http.RequestAborted);
            return;
        }

        if (job.Prompt.Contains("[fake:not-video]", StringComparison.Ordinal) || job.ResultFault == FakeFault.NotVideo)
        {
            http.Response.ContentType = "video/mp4";
            await http.Response.WriteAsync("<html><body>this is not a video</body></html>", http.RequestAborted);
            return;
        }

        Interlocked.Increment(ref _downloads);
        http.Response.ContentType = "video/mp4";
        http.Response.ContentLength = _video.Length;
        if (Options.ResultDelay > TimeSpan.Zero)
        {
            // Headers first, then the body after a pause: the download is in flight meanwhile.
            await http.Response.Body.WriteAsync(_video.AsMemory(0, 1024), http.RequestAborted);
            await http.Response.Body.FlushAsync(http.RequestAborted);
            await Task.Delay(Options.ResultDelay, http.RequestAborted);
            await http.Response.Body.WriteAsync(_video.AsMemory(1024), http.RequestAborted);
            return;
        }

        await http.Response.Body.WriteAsync(_video, http.RequestAborted);
    }

    private async Task Jobs(HttpContext http)
    {
        // "<request_id> <done_at_ms> <polls> <bench tag> <created_ms>" per job; ?since_ms= keeps only jobs created since.
        var since = long.TryParse(http.Request.Query["since_ms"], CultureInfo.InvariantCulture, out var ms) ? ms : 0;
        var text = new StringBuilder();
        foreach (var job in _jobs.Values.Where(j => j.Created.ToUnixTimeMilliseconds() >= since))
        {
            text.Append(CultureInfo.InvariantCulture,
                $"{job.Id} {job.DoneAt.ToUnixTimeMilliseconds()} {job.PollCount} {BenchTag().Match(job.Prompt).Groups[1].Value} {job.Created.ToUnixTimeMilliseconds()}\n");
        }

        http.Response.ContentType = "text/plain";
        await http.Response.WriteAsync(text.ToString(), http.RequestAborted);
    }

    private static string? Invalid(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return "The body must be a JSON object.";
        }

        if (!body.TryGetProperty("prompt", out var prompt) || prompt.ValueKind != JsonValueKind.String || prompt.GetString()!.Length is 0 or > 4096)
        {
            return "prompt is required: a string of 1 to 4096 characters.";
        }

        if (body.TryGetProperty("model", out var model) && model.ValueKind != JsonValueKind.String)
        {
            return "model must be a string.";
        }

        if (body.TryGetProperty("duration", out var duration) && (duration.ValueKind != JsonValueKind.Number || !duration.TryGetInt32(out var seconds) || seconds is < 1 or > 15))
        {
            return "duration must be an integer from 1 to 15.";
        }

        if (body.TryGetProperty("aspect_ratio", out var ratio) && (ratio.ValueKind != JsonValueKind.String || !AspectRatios.Contains(ratio.GetString())))
        {
            return "aspect_ratio must be one of " + string.Join(", ", AspectRatios) + ".";
        }

        if (body.TryGetProperty("resolution", out var resolution) && resolution.GetString() is not ("480p" or "720p"))
        {
            return "resolution must be \"480p\" or \"720p\".";
        }

        var hasImage = body.TryGetProperty("image", out var image);
        if (hasImage && !IsImageUrl(image))
        {
            return "image must be an object {\"url\": \"<https or data:image URL>\"}.";
        }

        if (body.TryGetProperty("reference_images", out var references))
        {
            if (hasImage)
            {
                return "image and reference_images cannot be used together.";
            }

            if (references.ValueKind != JsonValueKind.Array || references.GetArrayLength() is < 1 or > 7 || references.EnumerateArray().Any(r => !IsImageUrl(r)))
            {
                return "reference_images must be 1 to 7 objects {\"url\": …}.";
            }
        }

        return null;
    }

    private static bool IsImageUrl(JsonElement element)
        => element.ValueKind == JsonValueKind.Object
           && element.TryGetProperty("url", out var url)
           && url.GetString() is { } text
           && (text.StartsWith("data:image/", StringComparison.Ordinal) || text.StartsWith("https://", StringComparison.Ordinal));

    // A seeded Random is not thread-safe and requests arrive concurrently.
    private double Draw()
    {
        var random = Options.Random;
        lock (random)
        {
            return random.NextDouble();
        }
    }

    private bool Authorized(HttpContext http)
        => http.Request.Headers.Authorization.ToString() == "Bearer " + Options.ApiKey;

    private async Task<bool> FaultAsync(HttpContext http, ConcurrentQueue<FakeFault> queue, FakeFault? planned = null)
    {
        FakeFault? fault = planned ?? (queue.TryDequeue(out var queued) ? queued
            : Options.FaultRate > 0 && Draw() < Options.FaultRate ? RandomFaults[(int)(Draw() * RandomFaults.Length)] : null);
        switch (fault)
        {
            case null:
                return false;
            case FakeFault.RateLimited:
                http.Response.Headers.RetryAfter = ((int)Math.Ceiling(Options.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await ErrorAsync(http, 429, "rate_limit_exceeded", "Too many requests.");
                return true;
            case FakeFault.ServerError:
                await ErrorAsync(http, 500, "internal_error", "Internal server error.");
                return true;
            case FakeFault.Timeout:
                await Task.Delay(Timeout.Infinite, http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return true;
            case FakeFault.Reset:
                http.Abort();
                return true;
            case FakeFault.Malformed:
                await WriteJsonAsync(http, 200, "{\"status\": \"pend");
                return true;
            default:
                return false;
        }
    }

    private static bool AfterAccept(FakeFault? fault) => fault is FakeFault.ResetAfterAccept or FakeFault.TimeoutAfterAccept or FakeFault.MalformedAfterAccept;

    private async Task<bool> GetFaultAsync(HttpContext http)
    {
        if (Options.PollFaultRate <= 0 || Draw() >= Options.PollFaultRate)
        {
            return false;
        }

        await ErrorAsync(http, 500, "internal_error", "Internal server error.");
        return true;
    }

    private string Echo() => Options.EchoKeyInErrors ? $" (request key {Options.ApiKey})" : "";

    private Task Delay(HttpContext http) => Options.Latency > TimeSpan.Zero ? Task.Delay(Options.Latency, http.RequestAborted) : Task.CompletedTask;

    private static Task ErrorAsync(HttpContext http, int status, string code, string message)
        => WriteJsonAsync(http, status, JsonSerializer.Serialize(new { code, error = message }));

    private static async Task WriteJsonAsync(HttpContext http, int status, string json)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(json, http.RequestAborted);
    }

    [GeneratedRegex(@"\[fake:seconds=([0-9.]+)\]")]
    private static partial Regex SecondsMarker();

    [GeneratedRegex(@"\[bench:([0-9]+)\]")]
    private static partial Regex BenchTag();

    private sealed class Job(string id, JsonElement body, string prompt, string model, int duration, DateTimeOffset created, DateTimeOffset doneAt)
    {
        public int PollCount;

        public FakeFault? ResultFault { get; init; }

        public bool AnswerLost { get; init; }

        public string Id => id;
        public JsonElement Body => body;
        public string Prompt => prompt;
        public string Model => model;
        public int Duration => duration;
        public DateTimeOffset Created => created;
        public DateTimeOffset DoneAt => doneAt;
        public int Polls => Volatile.Read(ref PollCount);
    }
}
