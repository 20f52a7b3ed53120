using System.Net;
using System.Text.Json;

namespace Vidgate.Server.Providers.Http;

/// <summary>
/// What every HTTP provider does around its own wire format: one call with the instance's timeout (read through
/// <see cref="TimeProvider"/>) and its key in the right header, the answer read tolerantly, <c>Retry-After</c> read,
/// transport failures described, and upstream text redacted of every configured key. One per provider instance; safe
/// for concurrent use.
/// </summary>
/// <param name="http">The shared upstream client (no redirects, pooled; see <see cref="UpstreamExtensions.HttpClientName"/>).</param>
/// <param name="settings">The instance: its timeout and the keys to redact.</param>
/// <param name="upstream">How descriptions name the upstream: <c>xAI</c>, <c>ComfyUI</c>, <c>upstream</c>.</param>
internal sealed class UpstreamClient(HttpClient http, UpstreamSettings settings, string upstream, UpstreamAuth auth, TimeProvider clock)
{
    public TimeProvider Clock => clock;

    /// <summary>
    /// One call with the key and the instance's timeout; the caller's token still wins (a cancellation then propagates).
    /// With <see cref="HttpCompletionOption.ResponseHeadersRead"/> the timeout covers the headers only: the caller streams
    /// the body (a result video) on its own schedule and owns the response.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string apiKey, HttpCompletionOption completion, CancellationToken ct)
    {
        auth.Apply(request, apiKey);
        using var timeout = new CancellationTokenSource(settings.RequestTimeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        return await http.SendAsync(request, completion, linked.Token);
    }

    /// <summary>
    /// One call whose answer is read whole (at most <see cref="TolerantJson.MaxBytes"/>) within the same timeout. Throws
    /// only what <see cref="SendAsync"/> throws; sort those with <see cref="Fail"/>.
    /// </summary>
    public Task<UpstreamReply> CallAsync(HttpRequestMessage request, string apiKey, CancellationToken ct) => CallAsync(request, apiKey, TolerantJson.MaxBytes, ct);

    /// <summary>As <see cref="CallAsync(HttpRequestMessage, string, CancellationToken)"/>, reading at most <paramref name="maxBytes"/> of the answer.</summary>
    public async Task<UpstreamReply> CallAsync(HttpRequestMessage request, string apiKey, int maxBytes, CancellationToken ct)
    {
        auth.Apply(request, apiKey);
        using var timeout = new CancellationTokenSource(settings.RequestTimeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
        var (text, json) = await TolerantJson.ReadAsync(response.Content, maxBytes, linked.Token);
        return new UpstreamReply(response.StatusCode, text, json, RetryAfter.Parse(response.Headers, clock.GetUtcNow()));
    }

    /// <summary>
    /// A description of a transport failure (timeout, refused, reset, DNS) for an Unavailable/Transient/Unknown outcome,
    /// or null when <paramref name="ex"/> is not one (the caller cancelled, or a bug): use as an exception filter.
    /// </summary>
    public string? Fail(Exception ex, CancellationToken ct)
        => Transport.Classify(ex, ct) is { } failure ? Transport.Describe(failure, upstream, settings.RequestTimeout) : null;

    /// <summary>Upstream text made safe for a task error or a log line (see <see cref="KeyRedactor"/>), shortened.</summary>
    /// <param name="apiKey">The key of this call, in case it is no longer among the instance's keys.</param>
    public string Quote(string? text, string? apiKey, int maxLength = 400) => KeyRedactor.Quote(text, Keys(apiKey), maxLength);

    private IEnumerable<string?> Keys(string? apiKey) => apiKey is null ? settings.ApiKeys : settings.ApiKeys.Append(apiKey);
}

/// <summary>An upstream's whole answer: status, the body as (capped) text, the body as JSON when it is, <c>Retry-After</c>.</summary>
internal sealed record UpstreamReply(HttpStatusCode Status, string Text, JsonElement? Json, TimeSpan? RetryAfter)
{
    public int Code => (int)Status;

    public bool IsSuccess => Code is >= 200 and <= 299;
}
