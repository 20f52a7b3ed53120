using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.OpenAi;

/// <summary>
/// Any OpenAI-videos-shaped upstream on the provider kit: <c>POST {base}/v1/videos</c>, poll <c>GET …/videos/{id}</c>,
/// fetch <c>…/content</c> or the reseller's <c>video_url</c>. What differs from the kit's defaults: a 404 on a create is
/// the request's (no failover), a poll 404 gets a grace for jobs never seen, cancel tries <c>/cancel</c> then DELETE,
/// and a result URL that does not serve a video falls back to <c>/content</c>.
/// </summary>
internal sealed class OpenAiProvider(
    UpstreamSettings settings, OpenAiOptions options, HttpClient http, IGuardedFetcher fetcher, TimeProvider clock, ILogger<OpenAiProvider> logger)
    : HttpVendor(settings, new VendorServices(http, fetcher, clock, logger), "upstream", UpstreamAuth.Bearer)
{
    // Poll-404 policy (see OpenAiOptions.NotFoundGrace): ids that answered at least once, and when an unseen id first 404ed.
    private const int MaxRemembered = 100_000;
    private const int MaxMessage = 400;
    private const int MaxCode = 100;
    private readonly ConcurrentDictionary<string, bool> _answered = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _firstNotFound = new();

    public override bool SupportsIdempotencyKey => options.HonoursIdempotencyKey;

    protected override HttpRequestMessage BuildSubmit(UpstreamJob job)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, VideosEndpoint("videos")) { Content = OpenAiCreateBody.Build(job, options.CreateFormat) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", job.IdempotencyKey);
        return request;
    }

    /// <summary>
    /// A create's 4xx is the request's (404 included: no failover), except a 401/403 that is not moderation (the key's);
    /// polls read by status (a 404 then gets the grace in <see cref="PollRefused"/>).
    /// </summary>
    protected override Answer Classify(UpstreamReply reply, VendorCall call)
    {
        var (code, message) = reply.Json is { } body ? OpenAiBody.Error(body) : (null, null);
        if (call != VendorCall.Submit || reply.IsSuccess || reply.Code is < 400 or >= 500 or 429 or 408)
        {
            return ByStatus(reply, message);
        }

        if (reply.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden && !OpenAiErrors.IsModeration(code, message))
        {
            return new Answer(Verdict.BadCredentials);
        }

        OpenAiLog.SubmitRefused(Logger, Settings.Id, reply.Code, code is null ? null : Client.Quote(code, null, MaxCode));
        var ours = OpenAiErrors.RejectCode(reply.Status, code, message);
        return new Answer(ours == OpenAiErrors.ModerationBlocked ? Verdict.Moderated : Verdict.Invalid, message, ours);
    }

    protected override UpstreamSubmit.Rejected Rejection(UpstreamReply reply, Answer answer, string apiKey)
        => new(answer.Code ?? "upstream_rejected", OwnWords(answer.Message, apiKey, $"the upstream refused the request ({reply.Code})"));

    protected override UpstreamSubmit ParseSubmit(UpstreamReply reply, UpstreamJob job)
    {
        if (reply.Json is not { ValueKind: JsonValueKind.Object } root)
        {
            return new UpstreamSubmit.Unavailable($"upstream answered {reply.Code} without a JSON object");
        }

        var created = OpenAiBody.Job(root);
        var id = OpenAiBody.String(created, "id") ?? OpenAiBody.String(created, "task_id") ?? OpenAiBody.String(created, "request_id");
        if (string.IsNullOrWhiteSpace(id))
        {
            return new UpstreamSubmit.Unavailable($"upstream answered {reply.Code} without a job id");
        }

        // Some resellers moderate synchronously and answer 200 with a job that is already failed.
        var state = OpenAiStatus.Normalize(OpenAiBody.String(created, "status"));
        if (state is UpstreamState.Failed or UpstreamState.Cancelled or UpstreamState.Expired)
        {
            var (code, message) = OpenAiBody.Error(created);
            return new UpstreamSubmit.Rejected(OpenAiErrors.FailureCode(state, code, message), OwnWords(message, job.ApiKey, "the upstream refused the job"));
        }

        return new UpstreamSubmit.Accepted(id);
    }

    protected override HttpRequestMessage BuildPoll(UpstreamHandle handle) => new(HttpMethod.Get, VideosEndpoint($"videos/{Uri.EscapeDataString(handle.UpstreamId)}"));

    /// <summary>OpenAI's model list (every compatible server has one): free, and a 401 for a bad key.</summary>
    protected override (HttpRequestMessage Request, string Checked)? BuildCheck() => (new(HttpMethod.Get, VideosEndpoint("models")), "GET /v1/models");

    protected override UpstreamPoll PollRefused(UpstreamReply reply, Answer answer, UpstreamHandle handle) => reply.Status switch
    {
        HttpStatusCode.TooManyRequests => new UpstreamPoll.Transient("upstream rate limit (429)", reply.RetryAfter),
        HttpStatusCode.NotFound => NotFound(handle.UpstreamId),
        _ => new UpstreamPoll.Transient($"upstream answered {reply.Code}"),
    };

    protected override UpstreamPoll ParsePoll(UpstreamReply reply, UpstreamHandle handle)
    {
        var id = handle.UpstreamId;
        if (reply.Json is not { ValueKind: JsonValueKind.Object } root)
        {
            return new UpstreamPoll.Transient("upstream answered without a JSON object");
        }

        var job = OpenAiBody.Job(root);
        var word = OpenAiBody.String(job, "status");
        if (word is null)
        {
            return new UpstreamPoll.Transient("upstream answered without a status");
        }

        // Jobs that end without a final poll here (deadline, another node) leave an entry; the cap keeps that bounded,
        // and forgetting only means the 404 grace applies.
        if (_answered.Count >= MaxRemembered)
        {
            _answered.Clear();
        }

        _answered[id] = true;
        _firstNotFound.TryRemove(id, out _);
        var progress = OpenAiBody.Progress(job) is { } p ? Math.Min(p, 99) : (int?)null;
        var state = OpenAiStatus.Normalize(word);
        switch (state)
        {
            case UpstreamState.Queued or UpstreamState.Running:
                return new UpstreamPoll.Running(progress);
            case UpstreamState.Unknown:
                OpenAiLog.UnknownStatus(Logger, Settings.Id, Client.Quote(word, handle.ApiKey, MaxCode));
                return new UpstreamPoll.Running(progress);
            case UpstreamState.Completed:
                Forget(id);
                return new UpstreamPoll.Done(OpenAiBody.Seconds(job), OpenAiBody.ResultUrl(job)?.AbsoluteUri);
            default:
                Forget(id);
                var (code, message) = OpenAiBody.Error(job);
                return new UpstreamPoll.Failed(OpenAiErrors.FailureCode(state, code, message), OwnWords(message, handle.ApiKey, FailureText(state)));
        }
    }

    public override async Task CancelAsync(UpstreamHandle handle, CancellationToken ct)
    {
        var path = $"videos/{Uri.EscapeDataString(handle.UpstreamId)}";
        Forget(handle.UpstreamId);
        try
        {
            using var cancel = new HttpRequestMessage(HttpMethod.Post, VideosEndpoint($"{path}/cancel"));
            var cancelled = await Client.CallAsync(cancel, handle.ApiKey, ct);
            if (cancelled.IsSuccess)
            {
                return;
            }

            // OpenAI itself has no cancel; DELETE is the closest thing most upstreams have (SGLang, new-api, Vidgate).
            using var delete = new HttpRequestMessage(HttpMethod.Delete, VideosEndpoint(path));
            var deleted = await Client.CallAsync(delete, handle.ApiKey, ct);
            if (!deleted.IsSuccess)
            {
                OpenAiLog.CancelIgnored(Logger, Settings.Id, cancelled.Code, deleted.Code);
            }
        }
        catch (Exception ex) when (Client.Fail(ex, ct) is { } reason)
        {
            OpenAiLog.CancelFailed(Logger, Settings.Id, reason);
        }
    }

    public override async Task<HttpResponseMessage> OpenResultAsync(UpstreamHandle handle, UpstreamPoll.Done done, CancellationToken ct)
    {
        if (Uri.TryCreate(done.ResultUrl, UriKind.Absolute, out var url))
        {
            try
            {
                // The operator chose the base URL, so its own links get the key; any other host is the upstream's choice:
                // it goes through the SSRF guard and never sees the key.
                var response = SameOrigin(url) ? await GetTrustedAsync(url, handle.ApiKey, ct) : await Services.Fetcher.GetAsync(url, null, ct);
                if (IsVideo(response))
                {
                    return response;
                }

                OpenAiLog.ResultUrlUnusable(Logger, Settings.Id, url.Host, (int)response.StatusCode, Client.Quote(response.Content.Headers.ContentType?.MediaType, handle.ApiKey, MaxCode));
                response.Dispose();
            }
            catch (Exception ex) when (ex is FetchRefusedException || Client.Fail(ex, ct) is not null)
            {
                OpenAiLog.ResultUrlFailed(Logger, Settings.Id, url.Host, ex is FetchRefusedException ? Client.Quote(ex.Message, handle.ApiKey) : Client.Fail(ex, ct)!);
            }
        }

        // Handed over as it is, also when it is not a video: the finisher probes it and fails the task precisely.
        return await GetTrustedAsync(VideosEndpoint($"videos/{Uri.EscapeDataString(handle.UpstreamId)}/content"), handle.ApiKey, ct);
    }

    private UpstreamPoll NotFound(string id)
    {
        if (_answered.ContainsKey(id))
        {
            Forget(id);
            return new UpstreamPoll.Failed("upstream_not_found", "the upstream no longer knows this job");
        }

        var now = Clock.GetUtcNow();
        var first = _firstNotFound.GetOrAdd(id, now);
        if (now - first >= options.NotFoundGrace)
        {
            Forget(id);
            return new UpstreamPoll.Failed("upstream_not_found", "the upstream does not know this job");
        }

        return new UpstreamPoll.Transient("upstream does not know this job yet (404)");
    }

    private void Forget(string id)
    {
        _answered.TryRemove(id, out _);
        _firstNotFound.TryRemove(id, out _);
    }

    /// <summary>The root with <c>/v1</c> once: operators paste either form.</summary>
    private Uri VideosEndpoint(string path)
    {
        var root = Settings.BaseUrl.AbsoluteUri.TrimEnd('/');
        return new Uri(root.EndsWith("/v1", StringComparison.OrdinalIgnoreCase) ? $"{root}/{path}" : $"{root}/v1/{path}");
    }

    private static bool IsVideo(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            return false;
        }

        // No type or a generic one is fine: CDNs serve MP4 as application/octet-stream too. Pages and errors are not.
        var type = response.Content.Headers.ContentType?.MediaType;
        return type is null || !(type.StartsWith("text/", StringComparison.OrdinalIgnoreCase) || type.StartsWith("image/", StringComparison.OrdinalIgnoreCase)
            || type.Contains("json", StringComparison.OrdinalIgnoreCase) || type.Contains("html", StringComparison.OrdinalIgnoreCase));
    }

    private static string FailureText(UpstreamState state) => state switch
    {
        UpstreamState.Expired => "the upstream job expired before it finished",
        UpstreamState.Cancelled => "the upstream cancelled the job",
        _ => "the upstream failed to generate the video",
    };

    /// <summary>The upstream's own words (or <paramref name="fallback"/>), key-redacted and shortened, for a task error.</summary>
    private string OwnWords(string? message, string apiKey, string fallback) =>
        Client.Quote(string.IsNullOrWhiteSpace(message) ? fallback : message, apiKey, MaxMessage);
}
