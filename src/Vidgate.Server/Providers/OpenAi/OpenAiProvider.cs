using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.OpenAi;

/// <summary>
/// Any OpenAI-videos-shaped upstream: <c>POST {base}/v1/videos</c>, poll <c>GET …/videos/{id}</c>, fetch <c>…/content</c> or the
/// reseller's <c>video_url</c>. Knows this wire format and nothing else; safe for concurrent use.
/// </summary>
internal sealed class OpenAiProvider(
    UpstreamSettings settings, OpenAiOptions options, HttpClient http, IGuardedFetcher fetcher, TimeProvider clock, ILogger<OpenAiProvider> logger)
    : IVideoProvider
{
    // Poll-404 policy (see OpenAiOptions.NotFoundGrace): ids that answered at least once, and when an unseen id first 404ed.
    private const int MaxRedirects = 3;
    private const int MaxRemembered = 100_000;
    private const int MaxMessage = 400;
    private const int MaxCode = 100;
    private readonly ConcurrentDictionary<string, bool> _answered = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _firstNotFound = new();
    private readonly UpstreamClient _http = new(http, settings, "upstream", UpstreamAuth.Bearer, clock);

    public UpstreamSettings Settings => settings;

    public bool SupportsIdempotencyKey => options.HonoursIdempotencyKey;

    public async Task<UpstreamSubmit> SubmitAsync(UpstreamJob job, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint("videos")) { Content = OpenAiCreateBody.Build(job, options.CreateFormat) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", job.IdempotencyKey);
        try
        {
            var reply = await _http.CallAsync(request, job.ApiKey, ct);
            var body = reply.Json;
            var status = reply.Code;
            if (reply.Status == HttpStatusCode.TooManyRequests)
            {
                return new UpstreamSubmit.Unavailable("upstream rate limit (429)", reply.RetryAfter);
            }

            if (status >= 500 || status is >= 300 and < 400 || reply.Status == HttpStatusCode.RequestTimeout)
            {
                return new UpstreamSubmit.Unavailable($"upstream answered {status}");
            }

            if (status >= 400)
            {
                var (code, message) = body is { } error ? OpenAiBody.Error(error) : (null, null);
                if (reply.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden && !OpenAiErrors.IsModeration(code, message))
                {
                    // The key, not the request: the instance's next key (or the next route) gets the task. The upstream's
                    // message is left out: it often echoes part of the key.
                    return new UpstreamSubmit.Unavailable($"upstream refused the API key ({status})", KeyRefused: true);
                }

                OpenAiLog.SubmitRefused(logger, settings.Id, status, code is null ? null : _http.Quote(code, job.ApiKey, MaxCode));
                return new UpstreamSubmit.Rejected(
                    OpenAiErrors.RejectCode(reply.Status, code, message),
                    Quote(message, job.ApiKey, $"the upstream refused the request ({status})"));
            }

            if (body is not { ValueKind: JsonValueKind.Object } root)
            {
                return new UpstreamSubmit.Unavailable($"upstream answered {status} without a JSON object");
            }

            var created = OpenAiBody.Job(root);
            var id = OpenAiBody.String(created, "id") ?? OpenAiBody.String(created, "task_id") ?? OpenAiBody.String(created, "request_id");
            if (string.IsNullOrWhiteSpace(id))
            {
                return new UpstreamSubmit.Unavailable($"upstream answered {status} without a job id");
            }

            // Some resellers moderate synchronously and answer 200 with a job that is already failed.
            var state = OpenAiStatus.Normalize(OpenAiBody.String(created, "status"));
            if (state is UpstreamState.Failed or UpstreamState.Cancelled or UpstreamState.Expired)
            {
                var (code, message) = OpenAiBody.Error(created);
                return new UpstreamSubmit.Rejected(OpenAiErrors.FailureCode(state, code, message), Quote(message, job.ApiKey, "the upstream refused the job"));
            }

            return new UpstreamSubmit.Accepted(id);
        }
        catch (Exception ex) when (_http.Fail(ex, ct) is { } reason)
        {
            return new UpstreamSubmit.Unavailable(reason);
        }
    }

    public async Task<UpstreamPoll> PollAsync(UpstreamHandle handle, CancellationToken ct)
    {
        var id = handle.UpstreamId;
        using var request = new HttpRequestMessage(HttpMethod.Get, Endpoint($"videos/{Uri.EscapeDataString(id)}"));
        try
        {
            var reply = await _http.CallAsync(request, handle.ApiKey, ct);
            if (reply.Status == HttpStatusCode.TooManyRequests)
            {
                return new UpstreamPoll.Transient("upstream rate limit (429)", reply.RetryAfter);
            }

            if (reply.Status == HttpStatusCode.NotFound)
            {
                return NotFound(id);
            }

            if (!reply.IsSuccess)
            {
                return new UpstreamPoll.Transient($"upstream answered {reply.Code}");
            }

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
                    OpenAiLog.UnknownStatus(logger, settings.Id, _http.Quote(word, handle.ApiKey, MaxCode));
                    return new UpstreamPoll.Running(progress);
                case UpstreamState.Completed:
                    Forget(id);
                    return new UpstreamPoll.Done(OpenAiBody.Seconds(job), OpenAiBody.ResultUrl(job)?.AbsoluteUri);
                default:
                    Forget(id);
                    var (code, message) = OpenAiBody.Error(job);
                    return new UpstreamPoll.Failed(OpenAiErrors.FailureCode(state, code, message), Quote(message, handle.ApiKey, FailureText(state)));
            }
        }
        catch (Exception ex) when (_http.Fail(ex, ct) is { } reason)
        {
            return new UpstreamPoll.Transient(reason);
        }
    }

    public async Task CancelAsync(UpstreamHandle handle, CancellationToken ct)
    {
        var path = $"videos/{Uri.EscapeDataString(handle.UpstreamId)}";
        Forget(handle.UpstreamId);
        try
        {
            using var cancel = new HttpRequestMessage(HttpMethod.Post, Endpoint($"{path}/cancel"));
            var cancelled = await _http.CallAsync(cancel, handle.ApiKey, ct);
            if (cancelled.IsSuccess)
            {
                return;
            }

            // OpenAI itself has no cancel; DELETE is the closest thing most upstreams have (SGLang, new-api, Vidgate).
            using var delete = new HttpRequestMessage(HttpMethod.Delete, Endpoint(path));
            var deleted = await _http.CallAsync(delete, handle.ApiKey, ct);
            if (!deleted.IsSuccess)
            {
                OpenAiLog.CancelIgnored(logger, settings.Id, cancelled.Code, deleted.Code);
            }
        }
        catch (Exception ex) when (_http.Fail(ex, ct) is { } reason)
        {
            OpenAiLog.CancelFailed(logger, settings.Id, reason);
        }
    }

    public async Task<HttpResponseMessage> OpenResultAsync(UpstreamHandle handle, UpstreamPoll.Done done, CancellationToken ct)
    {
        if (Uri.TryCreate(done.ResultUrl, UriKind.Absolute, out var url))
        {
            try
            {
                // The operator chose the base URL, so its own links get the key; any other host is the upstream's choice:
                // it goes through the SSRF guard and never sees the key.
                var response = SameOrigin(url) ? await GetTrustedAsync(url, handle.ApiKey, ct) : await fetcher.GetAsync(url, null, ct);
                if (IsVideo(response))
                {
                    return response;
                }

                OpenAiLog.ResultUrlUnusable(logger, settings.Id, url.Host, (int)response.StatusCode, _http.Quote(response.Content.Headers.ContentType?.MediaType, handle.ApiKey, MaxCode));
                response.Dispose();
            }
            catch (Exception ex) when (ex is FetchRefusedException || _http.Fail(ex, ct) is not null)
            {
                OpenAiLog.ResultUrlFailed(logger, settings.Id, url.Host, ex is FetchRefusedException ? _http.Quote(ex.Message, handle.ApiKey) : _http.Fail(ex, ct)!);
            }
        }

        // Handed over as it is, also when it is not a video: the finisher probes it and fails the task precisely.
        return await GetTrustedAsync(Endpoint($"videos/{Uri.EscapeDataString(handle.UpstreamId)}/content"), handle.ApiKey, ct);
    }

    private UpstreamPoll NotFound(string id)
    {
        if (_answered.ContainsKey(id))
        {
            Forget(id);
            return new UpstreamPoll.Failed("upstream_not_found", "the upstream no longer knows this job");
        }

        var now = clock.GetUtcNow();
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

    /// <summary>
    /// GET on the upstream's own origin with the key. Redirects (the shared client follows none) are followed here: on the
    /// same origin with the key, elsewhere (a signed CDN link) through the guard and without it.
    /// </summary>
    private async Task<HttpResponseMessage> GetTrustedAsync(Uri url, string apiKey, CancellationToken ct)
    {
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            var response = await _http.SendAsync(request, apiKey, HttpCompletionOption.ResponseHeadersRead, ct);
            if ((int)response.StatusCode is < 300 or >= 400 || response.Headers.Location is not { } location || hop == MaxRedirects)
            {
                return response;
            }

            response.Dispose();
            url = location.IsAbsoluteUri ? location : new Uri(url, location);
            if (!SameOrigin(url))
            {
                return await fetcher.GetAsync(url, null, ct);
            }
        }
    }

    private Uri Endpoint(string path)
    {
        var root = settings.BaseUrl.AbsoluteUri.TrimEnd('/');
        return new Uri(root.EndsWith("/v1", StringComparison.OrdinalIgnoreCase) ? $"{root}/{path}" : $"{root}/v1/{path}");
    }

    private bool SameOrigin(Uri url) =>
        url.Scheme == settings.BaseUrl.Scheme && url.Port == settings.BaseUrl.Port && string.Equals(url.Host, settings.BaseUrl.Host, StringComparison.OrdinalIgnoreCase);

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
    private string Quote(string? message, string apiKey, string fallback) =>
        _http.Quote(string.IsNullOrWhiteSpace(message) ? fallback : message, apiKey, MaxMessage);
}
