using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Vidgate.Fakes;

/// <summary>How a fake job ends.</summary>
public enum FakeOutcome
{
    Complete,
    Fail,
    Expire,

    /// <summary>Accepted, then failed by moderation (<c>error.code = "moderation_blocked"</c>).</summary>
    Moderated,
}

/// <summary>How a finished fake job hands out its video.</summary>
public enum FakeDelivery
{
    /// <summary>Only <c>GET /v1/videos/{id}/content</c> (OpenAI).</summary>
    Content,

    /// <summary><c>video_url</c> on another host (a reseller's CDN), plus <c>/content</c>.</summary>
    ForeignUrl,

    /// <summary><c>video_url</c> on another host that answers 404; <c>/content</c> still works.</summary>
    ForeignUrl404,

    /// <summary>Both the <c>video_url</c> and <c>/content</c> answer an HTML page.</summary>
    NotVideo,
}

public enum FakeProgressFormat
{
    WholeNumber,
    Fraction,
    PercentString,
}

/// <summary>Knobs for <see cref="FakeOpenAiUpstream"/>; change them between calls.</summary>
public sealed class FakeOpenAiFaults
{
    public TimeSpan Latency { get; set; }

    /// <summary>Each job runs a random time in [min, max]; zero = finished at the first poll.</summary>
    public TimeSpan MinJobDuration { get; set; }

    public TimeSpan MaxJobDuration { get; set; }

    /// <summary>Answer every create with this status (429, 500, 503 …) instead of working.</summary>
    public int? SubmitStatus { get; set; }

    public int? PollStatus { get; set; }

    /// <summary>Sent with 429s.</summary>
    public int RetryAfterSeconds { get; set; } = 7;

    public bool ResetSubmit { get; set; }

    public bool ResetPoll { get; set; }

    public bool GarbageSubmit { get; set; }

    public bool GarbagePoll { get; set; }

    /// <summary>Hang this long before answering (drives client timeouts).</summary>
    public TimeSpan SubmitDelay { get; set; }

    public TimeSpan PollDelay { get; set; }

    public FakeOutcome Outcome { get; set; }

    public FakeDelivery Delivery { get; set; }

    /// <summary>A prompt containing this word is refused at create with a 400 moderation error.</summary>
    public string ModerationWord { get; set; } = "forbidden";

    public string QueuedWord { get; set; } = "queued";

    public string RunningWord { get; set; } = "in_progress";

    public string DoneWord { get; set; } = "completed";

    public string FailedWord { get; set; } = "failed";

    public FakeProgressFormat ProgressFormat { get; set; }

    /// <summary>When set, a running job reports this progress instead of its real one (e.g. 100 or more before it is done).</summary>
    public int? RunningProgress { get; set; }

    /// <summary><c>/content</c> answers 302 to the file host (a signed CDN link) instead of the bytes.</summary>
    public bool RedirectContent { get; set; }

    /// <summary>False = <c>POST …/cancel</c> is a 404 (OpenAI has none) and only <c>DELETE</c> works.</summary>
    public bool SupportsCancel { get; set; } = true;

    /// <summary>Faults and failed jobs quote the key in their error message, as careless upstreams do.</summary>
    public bool EchoKeyInErrors { get; set; }
}

/// <summary>One request as the fake saw it.</summary>
public sealed record FakeRequest(string Method, string Path, string? Authorization, string? IdempotencyKey, string? ContentType, JsonObject? Json, IReadOnlyDictionary<string, string> Form, int Files);

/// <summary>
/// An OpenAI-videos-compatible upstream (OpenAI's Video object plus the resellers' <c>video_url</c>), with faults. Create
/// accepts the seed JSON, OpenAI's JSON and OpenAI's multipart; <c>Idempotency-Key</c> returns the first job. Result files
/// for <c>video_url</c> live on a second host (another port = another origin) that records the headers it gets.
/// </summary>
public sealed class FakeOpenAiUpstream : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, FakeJob> _jobs = new();
    private readonly ConcurrentDictionary<string, string> _idempotency = new();
    private readonly TimeProvider _clock;
    private FakeHost _api = null!;
    private FakeHost _files = null!;

    private FakeOpenAiUpstream(string apiKey, TimeProvider clock)
    {
        ApiKey = apiKey;
        _clock = clock;
    }

    public string ApiKey { get; }

    public Uri BaseUrl => _api.BaseUrl;

    /// <summary>The "CDN" that serves <c>video_url</c>s: another origin than <see cref="BaseUrl"/>.</summary>
    public Uri FileHostUrl => _files.BaseUrl;

    public FakeOpenAiFaults Faults { get; } = new();

    public ConcurrentQueue<FakeRequest> Requests { get; } = new();

    /// <summary>Authorization headers the file host received (null where none was sent).</summary>
    public ConcurrentQueue<string?> FileHostAuthorizations { get; } = new();

    public int JobCount => _jobs.Count;

    public static async Task<FakeOpenAiUpstream> StartAsync(string apiKey = "sk-fake-upstream-key", TimeProvider? clock = null, int port = 0)
    {
        var fake = new FakeOpenAiUpstream(apiKey, clock ?? TimeProvider.System);
        fake._api = await FakeHost.StartAsync(fake.MapApi, port);
        fake._files = await FakeHost.StartAsync(fake.MapFiles);
        return fake;
    }

    /// <summary>Sets the random job duration range (for the command line runner).</summary>
    public FakeOpenAiUpstream WithDurations(TimeSpan min, TimeSpan max)
    {
        Faults.MinJobDuration = min;
        Faults.MaxJobDuration = max;
        return this;
    }

    /// <summary>Finishes every job now (their durations elapse).</summary>
    public void FinishAll()
    {
        foreach (var job in _jobs.Values)
        {
            job.Duration = TimeSpan.Zero;
        }
    }

    public bool IsCancelled(string id) => _jobs.TryGetValue(id, out var job) && job.Cancelled;

    public bool IsDeleted(string id) => !_jobs.ContainsKey(id);

    private void MapApi(WebApplication app)
    {
        app.MapPost("/v1/videos", (Delegate)CreateAsync);
        app.MapGet("/v1/videos/{id}", (Delegate)PollAsync);
        app.MapGet("/v1/videos/{id}/content", (Delegate)ContentAsync);
        app.MapPost("/v1/videos/{id}/cancel", (HttpContext http, string id) => Cancel(http, id));
        app.MapDelete("/v1/videos/{id}", (HttpContext http, string id) => Delete(http, id));
    }

    private void MapFiles(WebApplication app)
    {
        app.MapGet("/files/{name}", (HttpContext http) =>
        {
            FileHostAuthorizations.Enqueue(http.Request.Headers.Authorization.FirstOrDefault());
            return Results.Bytes(FakeMedia.SmallMp4, "video/mp4");
        });
        app.MapGet("/page/{name}", (HttpContext http) =>
        {
            FileHostAuthorizations.Enqueue(http.Request.Headers.Authorization.FirstOrDefault());
            return Results.Content("<html><body>Please log in</body></html>", "text/html");
        });
        app.MapGet("/missing/{name}", (HttpContext http) =>
        {
            FileHostAuthorizations.Enqueue(http.Request.Headers.Authorization.FirstOrDefault());
            return Results.NotFound();
        });
    }

    private async Task<IResult> CreateAsync(HttpContext http)
    {
        var (json, form, files) = await ReadBodyAsync(http.Request);
        Record(http, json, form, files);
        await Task.Delay(Faults.Latency + Faults.SubmitDelay, http.RequestAborted);
        if (Faults.ResetSubmit)
        {
            http.Abort();
            return Results.Empty;
        }

        if (Unauthorized(http) is { } denied)
        {
            return denied;
        }

        if (Faults.SubmitStatus is { } status)
        {
            return Fault(http, status);
        }

        if (Faults.GarbageSubmit)
        {
            return Results.Content("{\"id\": \"video_", "application/json");
        }

        string? Field(string name) => json?[name]?.ToString() ?? (form.TryGetValue(name, out var v) ? v : null);
        var prompt = Field("prompt");
        if (string.IsNullOrWhiteSpace(prompt))
        {
            return Error(400, "prompt is required", "invalid_request_error", null, "prompt");
        }

        if (prompt.Contains(Faults.ModerationWord, StringComparison.OrdinalIgnoreCase))
        {
            return Error(400, "Your request was rejected by the safety system.", "invalid_request_error", "moderation_blocked", null);
        }

        var key = http.Request.Headers["Idempotency-Key"].FirstOrDefault();
        if (key is not null && _idempotency.TryGetValue(key, out var existing) && _jobs.TryGetValue(existing, out var again))
        {
            return Results.Json(Render(again));
        }

        var min = Faults.MinJobDuration;
        var spread = Math.Max(0, (Faults.MaxJobDuration - min).TotalMilliseconds);
        var job = new FakeJob($"video_{Guid.NewGuid():N}", Field("model") ?? "sora-2", prompt, Field("seconds") ?? "4",
            Field("size") ?? Field("resolution") ?? "720x1280", _clock.GetUtcNow(), Faults.Outcome, Faults.Delivery)
        {
            Duration = min + TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * spread),
        };
        _jobs[job.Id] = job;
        if (key is not null)
        {
            _idempotency[key] = job.Id;
        }

        return Results.Json(Render(job));
    }

    private async Task<IResult> PollAsync(HttpContext http, string id)
    {
        Record(http, null, new Dictionary<string, string>(), 0);
        await Task.Delay(Faults.Latency + Faults.PollDelay, http.RequestAborted);
        if (Faults.ResetPoll)
        {
            http.Abort();
            return Results.Empty;
        }

        if (Unauthorized(http) is { } denied)
        {
            return denied;
        }

        if (Faults.PollStatus is { } status)
        {
            return Fault(http, status);
        }

        if (Faults.GarbagePoll)
        {
            return Results.Content("<html>502 Bad Gateway</html>", "application/json");
        }

        return _jobs.TryGetValue(id, out var job) ? Results.Json(Render(job)) : Error(404, $"Video {id} not found", "invalid_request_error", "not_found", null);
    }

    private IResult ContentAsync(HttpContext http, string id)
    {
        Record(http, null, new Dictionary<string, string>(), 0);
        if (Unauthorized(http) is { } denied)
        {
            return denied;
        }

        if (!_jobs.TryGetValue(id, out var job) || State(job).Status != Faults.DoneWord)
        {
            return Error(404, "Video is not ready yet, use GET /v1/videos/{video_id} to check status.", "invalid_request_error", null, null);
        }

        if (Faults.RedirectContent)
        {
            return Results.Redirect($"{FileHostUrl.AbsoluteUri.TrimEnd('/')}/files/{job.Id}.mp4");
        }

        return job.Delivery == FakeDelivery.NotVideo
            ? Results.Content("<html><body>Service temporarily unavailable</body></html>", "text/html")
            : Results.Bytes(FakeMedia.SmallMp4, "video/mp4");
    }

    private IResult Cancel(HttpContext http, string id)
    {
        Record(http, null, new Dictionary<string, string>(), 0);
        if (!Faults.SupportsCancel || !_jobs.TryGetValue(id, out var job))
        {
            return Error(404, "Not found", "invalid_request_error", null, null);
        }

        job.Cancelled = true;
        return Results.Json(Render(job));
    }

    private IResult Delete(HttpContext http, string id)
    {
        Record(http, null, new Dictionary<string, string>(), 0);
        return _jobs.TryRemove(id, out _)
            ? Results.Json(new { id, @object = "video.deleted", deleted = true })
            : Error(404, "Not found", "invalid_request_error", null, null);
    }

    private (string Status, int Progress) State(FakeJob job)
    {
        if (job.Cancelled)
        {
            return ("cancelled", 0);
        }

        var elapsed = _clock.GetUtcNow() - job.CreatedAt;
        if (elapsed < job.Duration)
        {
            var fraction = elapsed / job.Duration;
            return fraction < 0.2 ? (Faults.QueuedWord, 0) : (Faults.RunningWord, Faults.RunningProgress ?? (int)(fraction * 100));
        }

        return job.Outcome switch
        {
            FakeOutcome.Complete => (Faults.DoneWord, 100),
            FakeOutcome.Expire => ("expired", 100),
            _ => (Faults.FailedWord, 100),
        };
    }

    private JsonObject Render(FakeJob job)
    {
        var (status, progress) = State(job);
        var done = status == Faults.DoneWord;
        var body = new JsonObject
        {
            ["id"] = job.Id,
            ["object"] = "video",
            ["model"] = job.Model,
            ["status"] = status,
            ["progress"] = Faults.ProgressFormat switch
            {
                FakeProgressFormat.Fraction => JsonValue.Create(progress + 0.5),
                FakeProgressFormat.PercentString => JsonValue.Create($"{progress}%"),
                _ => JsonValue.Create(progress),
            },
            ["created_at"] = job.CreatedAt.ToUnixTimeSeconds(),
            ["completed_at"] = done ? _clock.GetUtcNow().ToUnixTimeSeconds() : null,
            ["expires_at"] = null,
            ["prompt"] = job.Prompt,
            ["seconds"] = job.Seconds,
            ["size"] = job.Size,
            ["remixed_from_video_id"] = null,
            ["error"] = job.Outcome switch
            {
                _ when done || status != Faults.FailedWord && status != "expired" => null,
                FakeOutcome.Moderated => new JsonObject { ["code"] = "moderation_blocked", ["message"] = "The video was blocked by our content policy." },
                FakeOutcome.Expire => new JsonObject { ["code"] = "expired", ["message"] = "The job expired." },
                _ => new JsonObject { ["code"] = "generation_failed", ["message"] = "The model could not render this prompt." + Echo() },
            },
        };
        if (done && job.Delivery != FakeDelivery.Content)
        {
            body["video_url"] = job.Delivery switch
            {
                FakeDelivery.ForeignUrl => $"{FileHostUrl.AbsoluteUri.TrimEnd('/')}/files/{job.Id}.mp4",
                FakeDelivery.ForeignUrl404 => $"{FileHostUrl.AbsoluteUri.TrimEnd('/')}/missing/{job.Id}.mp4",
                _ => $"{FileHostUrl.AbsoluteUri.TrimEnd('/')}/page/{job.Id}.mp4",
            };
        }

        return body;
    }

    private IResult? Unauthorized(HttpContext http) =>
        http.Request.Headers.Authorization.FirstOrDefault() == $"Bearer {ApiKey}"
            ? null
            : Error(401, "Incorrect API key provided: " + http.Request.Headers.Authorization.FirstOrDefault()?.Replace("Bearer ", "", StringComparison.Ordinal),
                "invalid_request_error", "invalid_api_key", null);

    private string Echo() => Faults.EchoKeyInErrors ? $" (request key {ApiKey})" : "";

    private IResult Fault(HttpContext http, int status)
    {
        if (status == 429)
        {
            http.Response.Headers.RetryAfter = Faults.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return Error(429, "Rate limit reached for requests", "requests", "rate_limit_exceeded", null);
        }

        return Error(status, "The server had an error while processing your request." + Echo(), "server_error", null, null);
    }

    private static IResult Error(int status, string message, string type, string? code, string? param) =>
        Results.Json(new { error = new { message, type, param, code } }, statusCode: status);

    private void Record(HttpContext http, JsonObject? json, IReadOnlyDictionary<string, string> form, int files) =>
        Requests.Enqueue(new FakeRequest(http.Request.Method, http.Request.Path, http.Request.Headers.Authorization.FirstOrDefault(),
            http.Request.Headers["Idempotency-Key"].FirstOrDefault(), http.Request.ContentType, json, form, files));

    private static async Task<(JsonObject? Json, Dictionary<string, string> Form, int Files)> ReadBodyAsync(HttpRequest request)
    {
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync();
            return (null, form.ToDictionary(f => f.Key, f => f.Value.ToString()), form.Files.Count(f => f.Name == "input_reference"));
        }

        try
        {
            return (await JsonNode.ParseAsync(request.Body) as JsonObject, [], 0);
        }
        catch (JsonException)
        {
            return (null, [], 0);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        await _files.DisposeAsync();
    }

    private sealed record FakeJob(string Id, string Model, string Prompt, string Seconds, string Size, DateTimeOffset CreatedAt, FakeOutcome Outcome, FakeDelivery Delivery)
    {
        public TimeSpan Duration { get; set; }

        public bool Cancelled { get; set; }
    }
}
