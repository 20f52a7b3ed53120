using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Vidgate.Server.Providers.Http;

/// <summary>
/// The one shape of an HTTP upstream (submit, poll, optional cancel, open the result), so that a vendor adapter is a
/// folder with its wire records, its request building, its status mapping and its auth. The kit does the rest the same
/// way for every vendor: the call with the instance's timeout and the key in the vendor's header, every answer
/// classified (<see cref="Classify"/>) into a <see cref="Verdict"/> and turned into the seam's outcomes, transport
/// failures (timeout, refused, reset) described, vendor text quoted with every secret cut out, result URLs fetched
/// through the SSRF guard (with the key only on the instance's own origin). Safe for concurrent use.
/// </summary>
internal abstract partial class HttpVendor : IVideoProvider
{
    /// <summary>Vendor text shown to clients is kept short: the vendor's own words, not its essays.</summary>
    protected const int MaxQuote = 300;

    private const int MaxRedirects = 3;

    /// <param name="name">How descriptions name the vendor: <c>xAI</c>, <c>Veo</c>, <c>Kling</c>.</param>
    protected HttpVendor(UpstreamSettings settings, VendorServices services, string name, UpstreamAuth auth)
    {
        Settings = settings;
        Services = services;
        Name = name;
        Client = new UpstreamClient(services.Http, settings, name, auth, services.Clock);
    }

    public UpstreamSettings Settings { get; }

    /// <summary>See <see cref="IVideoProvider.SupportsIdempotencyKey"/>: false unless the vendor dedups on a key the submit sends.</summary>
    public virtual bool SupportsIdempotencyKey => false;

    protected VendorServices Services { get; }

    protected string Name { get; }

    protected UpstreamClient Client { get; }

    protected TimeProvider Clock => Services.Clock;

    protected ILogger Logger => Services.Logger;

    /// <summary>The submit request for <paramref name="job"/>: method, documented path under the base URL, body.</summary>
    protected abstract HttpRequestMessage BuildSubmit(UpstreamJob job);

    /// <summary>A 2xx submit answer read: Accepted with the vendor's job id (and any private state), or what else it says.</summary>
    protected abstract UpstreamSubmit ParseSubmit(UpstreamReply reply, UpstreamJob job);

    protected abstract HttpRequestMessage BuildPoll(UpstreamHandle handle);

    /// <summary>A 2xx poll answer read: the vendor's status words mapped to Running / Done / Failed, garbage to Transient.</summary>
    protected abstract UpstreamPoll ParsePoll(UpstreamReply reply, UpstreamHandle handle);

    /// <summary>The vendor's cancel call, or null where it has none (the job then runs out upstream).</summary>
    protected virtual HttpRequestMessage? BuildCancel(UpstreamHandle handle) => null;

    /// <summary>
    /// Checked before anything is sent: a refusal of our own (a value the target model cannot take under
    /// <c>fit: "strict"</c>, an image form the vendor has no way to receive). Null sends the job.
    /// </summary>
    protected virtual UpstreamSubmit.Rejected? Refuse(UpstreamJob job) => null;

    /// <summary>
    /// Where the finished video is, and whether the download carries the key (Gemini's file URLs need it). The key only
    /// ever goes to the instance's own origin: any other host is fetched through the SSRF guard without it.
    /// </summary>
    protected virtual (Uri Url, bool WithKey)? ResultLocation(UpstreamHandle handle, UpstreamPoll.Done done)
        => Uri.TryCreate(done.ResultUrl, UriKind.Absolute, out var url) ? (url, false) : null;

    /// <summary>What goes on the wire for <paramref name="apiKey"/> (Kling signs a short-lived JWT from it); the key itself by default.</summary>
    protected virtual string Credential(string apiKey) => apiKey;

    /// <summary>
    /// <see cref="Credential"/> where making it needs a call of its own (Vertex exchanges a signed JWT for an OAuth token).
    /// A credential that cannot be made should come back empty (the vendor's 401 then marks the key bad); a transport
    /// failure may throw as a vendor call does.
    /// </summary>
    protected virtual ValueTask<string> CredentialAsync(string apiKey, CancellationToken ct) => ValueTask.FromResult(Credential(apiKey));

    /// <summary>The largest poll answer read (Vertex returns the video inline, base64, in the operation).</summary>
    protected virtual int MaxPollBytes => TolerantJson.MaxBytes;

    /// <summary>Every secret <paramref name="apiKey"/> holds, each cut out of quoted text (Kling's access and secret halves).</summary>
    protected virtual IEnumerable<string> Secrets(string apiKey) => [apiKey];

    /// <summary>
    /// Sorts any answer by HTTP status as most vendors mean it: 2xx accepted; 429, 408, 5xx and redirects retry later;
    /// 401/402/403 bad credentials; 404/410 gone; any other 4xx invalid, or moderated when the body says so. Vendors whose
    /// codes live in the body (Kling, Gemini's <c>API_KEY_INVALID</c>) override and fall back on this.
    /// </summary>
    protected virtual Answer Classify(UpstreamReply reply, VendorCall call) => ByStatus(reply, ErrorText(reply));

    /// <summary>A submit refused as <see cref="Verdict.Invalid"/> or <see cref="Verdict.Moderated"/>: the task's error, the vendor's words quoted.</summary>
    protected virtual UpstreamSubmit.Rejected Rejection(UpstreamReply reply, Answer answer, string apiKey) => answer.Verdict == Verdict.Moderated
        ? new UpstreamSubmit.Rejected("moderation_blocked", "The upstream provider's content moderation rejected the request: " + Quote(answer.Message, apiKey))
        : new UpstreamSubmit.Rejected(answer.Code ?? "upstream_rejected", "The upstream provider rejected the request: " + Quote(answer.Message, apiKey));

    /// <summary>A non-accepted poll: gone fails the task, moderation fails it as such, anything else is polled again.</summary>
    protected virtual UpstreamPoll PollRefused(UpstreamReply reply, Answer answer, UpstreamHandle handle) => answer.Verdict switch
    {
        Verdict.Gone => new UpstreamPoll.Failed("upstream_not_found", $"The upstream provider no longer knows this job ({Name} answered {reply.Code})."),
        Verdict.Moderated => new UpstreamPoll.Failed("moderation_blocked", "The upstream provider's content moderation blocked this video: " + Quote(answer.Message, handle.ApiKey)),
        _ => new UpstreamPoll.Transient(Describe(reply), WaitOf(reply)),
    };

    public async Task<UpstreamSubmit> SubmitAsync(UpstreamJob job, CancellationToken ct)
    {
        if (Refuse(job) is { } refused)
        {
            return refused;
        }

        using var request = BuildSubmit(job);
        if (job.CallbackUrl is { } callbackUrl && CallbacksOn)
        {
            await Callbacks!.ApplyAsync(request, callbackUrl, ct);
        }

        var sent = SentMark.Wrap(request);
        try
        {
            var reply = await Client.CallAsync(request, await CredentialAsync(job.ApiKey, ct), ct);
            var answer = Classify(reply, VendorCall.Submit);
            if (answer.Verdict != Verdict.Accepted)
            {
                Log.SubmitRefused(Logger, Settings.Id, reply.Code, answer.Verdict);
            }

            return answer.Verdict switch
            {
                // A 2xx we cannot read a job id from: the upstream took the request, we lost what it made of it.
                Verdict.Accepted => ParseSubmit(reply, job) switch
                {
                    UpstreamSubmit.Unavailable unreadable => unreadable with { Ambiguous = true },
                    var parsed => parsed,
                },
                Verdict.RetryLater => new UpstreamSubmit.Unavailable(Describe(reply), WaitOf(reply)) { Ambiguous = SentMark.LostAnswer(reply) },

                // The vendor's words are left out: a refusal of a key often echoes part of it.
                Verdict.BadCredentials => new UpstreamSubmit.Unavailable($"{Name} refused the API key ({reply.Code})", KeyRefused: true),

                // A retired model or a wrong base URL is this instance's problem, not the request's: the next route may have it.
                Verdict.Gone => new UpstreamSubmit.Unavailable($"{Name} answered {reply.Code} (not found)"),
                _ => Rejection(reply, answer, job.ApiKey),
            };
        }
        catch (Exception ex) when (Client.Fail(ex, ct) is { } reason)
        {
            return new UpstreamSubmit.Unavailable(reason) { Ambiguous = sent.Sent && SentMark.MayHaveArrived(Transport.Classify(ex, ct)) };
        }
    }

    /// <summary>Virtual for a vendor whose finished job needs one more call to find its video (fal's result endpoint).</summary>
    public virtual async Task<UpstreamPoll> PollAsync(UpstreamHandle handle, CancellationToken ct)
    {
        using var request = BuildPoll(handle);
        try
        {
            var reply = await Client.CallAsync(request, await CredentialAsync(handle.ApiKey, ct), MaxPollBytes, ct);
            var answer = Classify(reply, VendorCall.Poll);
            return answer.Verdict == Verdict.Accepted ? ParsePoll(reply, handle) : PollRefused(reply, answer, handle);
        }
        catch (Exception ex) when (Client.Fail(ex, ct) is { } reason)
        {
            return new UpstreamPoll.Transient(reason);
        }
    }

    /// <summary>See <see cref="IVideoProvider.FindAsync"/>: only a vendor that can be asked by an id the submit chose overrides it.</summary>
    public virtual Task<UpstreamLookup> FindAsync(string idempotencyKey, string apiKey, CancellationToken ct)
        => Task.FromResult<UpstreamLookup>(new UpstreamLookup.Unsupported());

    public virtual async Task CancelAsync(UpstreamHandle handle, CancellationToken ct)
    {
        using var request = BuildCancel(handle);
        if (request is null)
        {
            return;
        }

        try
        {
            var reply = await Client.CallAsync(request, await CredentialAsync(handle.ApiKey, ct), ct);
            if (Classify(reply, VendorCall.Cancel).Verdict != Verdict.Accepted)
            {
                Log.CancelIgnored(Logger, Settings.Id, reply.Code);
            }
        }
        catch (Exception ex) when (Client.Fail(ex, ct) is { } reason)
        {
            Log.CancelFailed(Logger, Settings.Id, reason);
        }
    }

    public virtual Task<HttpResponseMessage> OpenResultAsync(UpstreamHandle handle, UpstreamPoll.Done done, CancellationToken ct)
    {
        if (ResultLocation(handle, done) is not var (url, withKey))
        {
            throw new FetchRefusedException($"{Name}'s answer has no usable result URL");
        }

        return withKey && SameOrigin(url) ? GetTrustedAsync(url, handle.ApiKey, ct) : Services.Fetcher.GetAsync(url, null, ct);
    }

    /// <summary>
    /// GET on the instance's own origin with the key. Redirects (the shared client follows none) are followed here: on the
    /// same origin with the key, elsewhere (a signed CDN link) through the guard and without it.
    /// </summary>
    protected async Task<HttpResponseMessage> GetTrustedAsync(Uri url, string apiKey, CancellationToken ct)
    {
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            var response = await Client.SendAsync(request, await CredentialAsync(apiKey, ct), HttpCompletionOption.ResponseHeadersRead, ct);
            if ((int)response.StatusCode is < 300 or >= 400 || response.Headers.Location is not { } location || hop == MaxRedirects)
            {
                return response;
            }

            response.Dispose();
            url = location.IsAbsoluteUri ? location : new Uri(url, location);
            if (!SameOrigin(url))
            {
                return await Services.Fetcher.GetAsync(url, null, ct);
            }
        }
    }

    protected bool SameOrigin(Uri url) =>
        url.Scheme == Settings.BaseUrl.Scheme && url.Port == Settings.BaseUrl.Port && string.Equals(url.Host, Settings.BaseUrl.Host, StringComparison.OrdinalIgnoreCase);

    /// <summary><paramref name="path"/> under the base URL (its own path kept, e.g. a regional prefix).</summary>
    protected Uri Endpoint(string path) => new(Settings.BaseUrl.AbsoluteUri.TrimEnd('/') + "/" + path.TrimStart('/'));

    /// <summary>A JSON POST of <paramref name="body"/> to <paramref name="path"/>.</summary>
    protected HttpRequestMessage PostJson<T>(string path, T body, JsonTypeInfo<T> type)
        => new(HttpMethod.Post, Endpoint(path)) { Content = System.Net.Http.Json.JsonContent.Create(body, type) };

    /// <summary>Vendor text made safe for a task error or a log line: every secret of every key cut out, then shortened.</summary>
    protected string Quote(string? text, string? apiKey, string? fallback = null)
    {
        var keys = (apiKey is null ? Settings.ApiKeys : Settings.ApiKeys.Append(apiKey)).SelectMany(Secrets);
        return KeyRedactor.Quote(string.IsNullOrWhiteSpace(text) ? fallback ?? $"{Name} gave no reason." : text, keys, MaxQuote);
    }

    /// <summary>The answer in the vendor's shape, or null when it is not (any mismatch is a garbage body, never an exception).</summary>
    protected static T? Read<T>(UpstreamReply reply, JsonTypeInfo<T> type) where T : class
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
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The status-only classification (see <see cref="Classify"/>) with the vendor's <paramref name="message"/>.</summary>
    protected static Answer ByStatus(UpstreamReply reply, string? message) => reply.Code switch
    {
        >= 200 and <= 299 => new Answer(Verdict.Accepted),
        429 or 408 or >= 500 or (>= 300 and < 400) => new Answer(Verdict.RetryLater, message),
        // 402: the key's account is out of money; no retry on this key helps, another key may.
        401 or 402 or 403 => new Answer(Verdict.BadCredentials, message),
        404 or 410 => new Answer(Verdict.Gone, message),
        _ => new Answer(IsModeration(message) || reply.Text.Contains("content_policy", StringComparison.OrdinalIgnoreCase) ? Verdict.Moderated : Verdict.Invalid, message),
    };

    /// <summary>Words vendors use when their moderation refuses a prompt, an image or an output.</summary>
    protected static bool IsModeration(string? text) => text is not null && ModerationWords.Any(w => text.Contains(w, StringComparison.OrdinalIgnoreCase));

    /// <summary>The usual places an error message sits: <c>error</c> as a string, <c>error.message</c>, <c>message</c>, <c>detail</c>.</summary>
    protected static string? ErrorText(UpstreamReply reply)
    {
        if (reply.Json is not { ValueKind: JsonValueKind.Object } body)
        {
            return null;
        }

        if (body.TryGetProperty("error", out var error))
        {
            if (error.ValueKind == JsonValueKind.String)
            {
                return error.GetString();
            }

            if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
            {
                return m.GetString();
            }
        }

        foreach (var name in (string[])["message", "detail"])
        {
            if (body.TryGetProperty(name, out var text) && text.ValueKind == JsonValueKind.String)
            {
                return text.GetString();
            }
        }

        return null;
    }

    private static readonly string[] ModerationWords =
        ["moderation", "content policy", "content_policy", "policy violation", "safety", "sensitive", "risk control", "responsible ai", "usage guidelines"];

    private string Describe(UpstreamReply reply) => reply.Status == HttpStatusCode.TooManyRequests ? $"{Name} rate limit (429)" : $"{Name} answered {reply.Code}";

    /// <summary>A 429's or 503's <c>Retry-After</c>; other answers impose no wait.</summary>
    private static TimeSpan? WaitOf(UpstreamReply reply) => reply.Status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable ? reply.RetryAfter : null;

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Upstream {Instance} did not take a create: HTTP {Status}, {Verdict}")]
        public static partial void SubmitRefused(ILogger logger, string instance, int status, Verdict verdict);

        [LoggerMessage(Level = LogLevel.Information, Message = "Upstream {Instance} did not take a cancel (HTTP {Status}); the job runs out upstream")]
        public static partial void CancelIgnored(ILogger logger, string instance, int status);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Cancel on upstream {Instance} failed: {Reason}")]
        public static partial void CancelFailed(ILogger logger, string instance, string reason);
    }
}
