using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Xai;

/// <summary>
/// xAI's video API (api-contracts.md §3): submit <c>POST {base}/v1/videos/generations</c>, poll
/// <c>GET {base}/v1/videos/{request_id}</c>, download the temporary <c>video.url</c> through the SSRF guard. xAI has no
/// cancel and no idempotency key, so a submit interrupted by a crash is failed, never repeated.
/// </summary>
/// <param name="clock">The app's clock (per-call timeouts, <c>Retry-After</c> dates); null means the system clock, for code that builds the provider by hand.</param>
internal sealed partial class XaiProvider(
    UpstreamSettings settings, HttpClient http, IGuardedFetcher fetcher, ILogger<XaiProvider> logger, TimeProvider? clock = null) : IVideoProvider
{
    // Upstream text shown to clients is kept short: the upstream's own words, not its essays.
    private const int MaxQuote = 300;

    private static readonly (string Name, double Value)[] Ratios =
        [("1:1", 1), ("16:9", 16 / 9.0), ("9:16", 9 / 16.0), ("4:3", 4 / 3.0), ("3:4", 3 / 4.0), ("3:2", 1.5), ("2:3", 2 / 3.0)];

    private readonly Uri _root = new(settings.BaseUrl.ToString().TrimEnd('/') + "/");
    private readonly UpstreamClient _http = new(http, settings, "xAI", UpstreamAuth.Bearer, clock ?? TimeProvider.System);

    public UpstreamSettings Settings => settings;

    public async Task<UpstreamSubmit> SubmitAsync(UpstreamJob job, CancellationToken ct)
    {
        var task = job.Task;
        var images = job.Images.Select(i => new XaiUrl(i.DataUri)).ToList();
        var body = new XaiGenerateRequest(
            job.UpstreamModel, task.Prompt, Math.Clamp(task.Seconds, 1, 15), AspectRatio(task.Width, task.Height),
            Math.Min(task.Width, task.Height) >= 720 ? "720p" : "480p",
            images.Count == 1 ? images[0] : null,
            images.Count > 1 ? images : null);

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_root, "v1/videos/generations"))
        {
            Content = JsonContent.Create(body, XaiJson.Default.XaiGenerateRequest),
        };
        try
        {
            var reply = await _http.CallAsync(request, job.ApiKey, ct);
            if (reply.IsSuccess)
            {
                return Read(reply, XaiJson.Default.XaiAccepted)?.RequestId is { Length: > 0 } id
                    ? new UpstreamSubmit.Accepted(id)
                    : new UpstreamSubmit.Unavailable($"xAI answered {reply.Code} without a request_id");
            }

            return reply.Status switch
            {
                HttpStatusCode.TooManyRequests => new UpstreamSubmit.Unavailable("xAI rate limit (429)", reply.RetryAfter),

                // Wrong key, wrong base URL or a server fault is this instance's problem, not the request's: next key or route.
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                    => new UpstreamSubmit.Unavailable($"xAI answered {reply.Code}", KeyRefused: true),
                HttpStatusCode.NotFound or HttpStatusCode.RequestTimeout => new UpstreamSubmit.Unavailable($"xAI answered {reply.Code}"),
                >= HttpStatusCode.InternalServerError => new UpstreamSubmit.Unavailable($"xAI answered {reply.Code}"),
                _ => Rejected(reply, job.ApiKey),
            };
        }
        catch (Exception ex) when (_http.Fail(ex, ct) is { } reason)
        {
            return new UpstreamSubmit.Unavailable(reason);
        }
    }

    public async Task<UpstreamPoll> PollAsync(UpstreamHandle handle, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_root, "v1/videos/" + Uri.EscapeDataString(handle.UpstreamId)));
        try
        {
            var reply = await _http.CallAsync(request, handle.ApiKey, ct);
            if (!reply.IsSuccess)
            {
                return new UpstreamPoll.Transient($"xAI answered {reply.Code}", reply.Status == HttpStatusCode.TooManyRequests ? reply.RetryAfter : null);
            }

            return Read(reply, XaiJson.Default.XaiStatus) is { } status ? Interpret(handle, status) : new UpstreamPoll.Transient("xAI answered a body that is not the status JSON");
        }
        catch (Exception ex) when (_http.Fail(ex, ct) is { } reason)
        {
            return new UpstreamPoll.Transient(reason);
        }
    }

    /// <summary>xAI has no cancel endpoint: the job runs out upstream; we simply stop polling.</summary>
    public Task CancelAsync(UpstreamHandle handle, CancellationToken ct) => Task.CompletedTask;

    public Task<HttpResponseMessage> OpenResultAsync(UpstreamHandle handle, UpstreamPoll.Done done, CancellationToken ct)
    {
        // video.url is a temporary pre-signed URL on another host: fetched without our key, through the SSRF guard.
        if (done.ResultUrl is null || !Uri.TryCreate(done.ResultUrl, UriKind.Absolute, out var url))
        {
            throw new FetchRefusedException("xAI's answer has no usable video.url");
        }

        return fetcher.GetAsync(url, null, ct);
    }

    private UpstreamPoll Interpret(UpstreamHandle handle, XaiStatus status)
    {
        var progress = status.Progress is { } p ? (int?)Math.Clamp((int)p, 0, 99) : null;
        switch (status.Status)
        {
            case null:
                // A very early poll carries only request_id; "no status but video.url" means done (as the AI SDK reads it).
                return status.Video?.Url is { Length: > 0 } ? Done(status) : new UpstreamPoll.Running(progress);
            case "pending":
                return new UpstreamPoll.Running(progress);
            case "done":
                return Done(status);
            case "failed":
                return new UpstreamPoll.Failed("upstream_failed", "The upstream provider failed to generate the video" +
                    (status.Error?.Message is { Length: > 0 } m ? ": " + _http.Quote(m, handle.ApiKey, MaxQuote) : "."));
            case "expired":
                return new UpstreamPoll.Failed("upstream_expired", "The upstream provider expired the request before the video was made.");
            default:
                // Not in xAI's documented vocabulary: keep polling (the deadline bounds it); never shown to clients.
                Log.UnknownStatus(logger, settings.Id, handle.UpstreamId, _http.Quote(status.Status, handle.ApiKey, MaxQuote));
                return new UpstreamPoll.Running(progress);
        }
    }

    private static UpstreamPoll Done(XaiStatus status)
    {
        if (status.Video?.RespectModeration == false)
        {
            return new UpstreamPoll.Failed("moderation_blocked", "The upstream provider's content moderation blocked this video.");
        }

        if (status.Video?.Url is not { Length: > 0 } url)
        {
            return new UpstreamPoll.Transient("xAI said done without a video.url");
        }

        var seconds = status.Video.Duration is { } d and > 0 ? (int?)Math.Max(1, (int)Math.Round(d)) : null;
        return new UpstreamPoll.Done(seconds, url, CostUsdTicks(status.Usage));
    }

    /// <summary>
    /// <c>usage.cost_in_usd_ticks</c> (1 USD = 10,000,000,000 ticks, api-contracts.md §3.3) when it is a non-negative
    /// integer literal that fits a long; anything else (missing, null, negative, fractional, a string, a usage that is not
    /// an object) is simply unknown: the cost is a record for operators, never a reason to fail or delay a task.
    /// </summary>
    internal static long? CostUsdTicks(JsonElement? usage)
        => usage is { ValueKind: JsonValueKind.Object } u
           && u.TryGetProperty("cost_in_usd_ticks", out var cost)
           && cost.ValueKind == JsonValueKind.Number
           && cost.TryGetInt64(out var ticks)
           && ticks >= 0
            ? ticks
            : null;

    private UpstreamSubmit Rejected(UpstreamReply reply, string apiKey)
    {
        var message = reply.Json is { } body ? ErrorMessage(body) : null;
        var moderated = message is not null && (message.Contains("moderation", StringComparison.OrdinalIgnoreCase) || message.Contains("policy", StringComparison.OrdinalIgnoreCase))
                        || reply.Text.Contains("content_policy", StringComparison.OrdinalIgnoreCase);
        var quoted = _http.Quote(message ?? "The upstream provider rejected the request.", apiKey, MaxQuote);
        return moderated
            ? new UpstreamSubmit.Rejected("moderation_blocked", "The upstream provider's content moderation rejected the request: " + quoted)
            : new UpstreamSubmit.Rejected("upstream_rejected", "The upstream provider rejected the request: " + quoted);
    }

    /// <summary>xAI errors come as <c>{"code","error"}</c> or <c>{"error":{"message"}}</c>: take whichever is there.</summary>
    private static string? ErrorMessage(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("error", out var error))
        {
            return null;
        }

        return error.ValueKind switch
        {
            JsonValueKind.String => error.GetString(),
            JsonValueKind.Object when error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String => m.GetString(),
            _ => null,
        };
    }

    /// <summary>The answer in xAI's shape, or null when it is not (any mismatch is a garbage body, never an exception).</summary>
    private static T? Read<T>(UpstreamReply reply, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class
    {
        if (reply.Json is not { } json)
        {
            return null;
        }

        try
        {
            return json.Deserialize(type);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>xAI takes seven ratios; anything else (19.5:9, custom) goes as the nearest one.</summary>
    private static string AspectRatio(int width, int height)
    {
        var ratio = width / (double)height;
        return Ratios.MinBy(r => Math.Abs(Math.Log(r.Value / ratio))).Name;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider} job {UpstreamId}: unknown status '{Status}', still polling")]
        public static partial void UnknownStatus(ILogger logger, string provider, string upstreamId, string status);
    }
}
