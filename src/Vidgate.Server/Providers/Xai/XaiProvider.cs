using System.Text.Json;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Xai;

/// <summary>
/// xAI's video API (api-contracts.md §3) on the provider kit: submit <c>POST {base}/v1/videos/generations</c>, poll
/// <c>GET {base}/v1/videos/{request_id}</c>, download the temporary <c>video.url</c> through the SSRF guard. xAI has no
/// cancel and no idempotency key, so a submit interrupted by a crash is failed, never repeated.
/// </summary>
/// <param name="clock">The app's clock (per-call timeouts, <c>Retry-After</c> dates); null means the system clock, for code that builds the provider by hand.</param>
internal sealed partial class XaiProvider(
    UpstreamSettings settings, HttpClient http, IGuardedFetcher fetcher, ILogger<XaiProvider> logger, TimeProvider? clock = null)
    : HttpVendor(settings, new VendorServices(http, fetcher, clock ?? TimeProvider.System, logger), "xAI", UpstreamAuth.Bearer)
{
    private static readonly (string Name, double Value)[] Ratios =
        [("1:1", 1), ("16:9", 16 / 9.0), ("9:16", 9 / 16.0), ("4:3", 4 / 3.0), ("3:4", 3 / 4.0), ("3:2", 1.5), ("2:3", 2 / 3.0)];

    protected override HttpRequestMessage BuildSubmit(UpstreamJob job)
    {
        var task = job.Task;
        var images = job.Images.Select(i => new XaiUrl(i.DataUri)).ToList();
        var body = new XaiGenerateRequest(
            job.UpstreamModel, task.Prompt, Math.Clamp(task.Seconds, 1, 15), AspectRatio(task.Width, task.Height),
            Math.Min(task.Width, task.Height) >= 720 ? "720p" : "480p",
            images.Count == 1 ? images[0] : null,
            images.Count > 1 ? images : null);
        return PostJson("v1/videos/generations", body, XaiJson.Default.XaiGenerateRequest);
    }

    protected override UpstreamSubmit ParseSubmit(UpstreamReply reply, UpstreamJob job)
        => Read(reply, XaiJson.Default.XaiAccepted)?.RequestId is { Length: > 0 } id
            ? new UpstreamSubmit.Accepted(id)
            : new UpstreamSubmit.Unavailable($"xAI answered {reply.Code} without a request_id");

    protected override HttpRequestMessage BuildPoll(UpstreamHandle handle)
        => new(HttpMethod.Get, Endpoint("v1/videos/" + Uri.EscapeDataString(handle.UpstreamId)));

    /// <summary>xAI's model list: free, and a 401 for a bad key.</summary>
    protected override (HttpRequestMessage Request, string Checked)? BuildCheck() => (new(HttpMethod.Get, Endpoint("v1/models")), "GET /v1/models");

    /// <summary>xAI's refusals: any 4xx mentioning moderation or policy is its moderation; the rest is the kit's status reading.</summary>
    protected override Answer Classify(UpstreamReply reply, VendorCall call)
    {
        var message = ErrorText(reply);
        var answer = ByStatus(reply, message);
        var moderated = message is not null && (message.Contains("moderation", StringComparison.OrdinalIgnoreCase) || message.Contains("policy", StringComparison.OrdinalIgnoreCase))
                        || reply.Text.Contains("content_policy", StringComparison.OrdinalIgnoreCase);
        return answer.Verdict is Verdict.Invalid or Verdict.Moderated ? answer with { Verdict = moderated ? Verdict.Moderated : Verdict.Invalid } : answer;
    }

    /// <summary>xAI answers every poll of a job it has with 200: anything else is a passing fault (the deadline bounds it).</summary>
    protected override UpstreamPoll PollRefused(UpstreamReply reply, Answer answer, UpstreamHandle handle)
        => new UpstreamPoll.Transient($"xAI answered {reply.Code}", reply.Status == System.Net.HttpStatusCode.TooManyRequests ? reply.RetryAfter : null);

    protected override UpstreamPoll ParsePoll(UpstreamReply reply, UpstreamHandle handle)
    {
        if (Read(reply, XaiJson.Default.XaiStatus) is not { } status)
        {
            return new UpstreamPoll.Transient("xAI answered a body that is not the status JSON");
        }

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
                    (status.Error?.Message is { Length: > 0 } m ? ": " + Quote(m, handle.ApiKey) : "."));
            case "expired":
                return new UpstreamPoll.Failed("upstream_expired", "The upstream provider expired the request before the video was made.");
            default:
                // Not in xAI's documented vocabulary: keep polling (the deadline bounds it); never shown to clients.
                Log.UnknownStatus(Logger, Settings.Id, handle.UpstreamId, Quote(status.Status, handle.ApiKey));
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
