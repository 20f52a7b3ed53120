using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Vidgate.Contracts;

namespace Vidgate.Client;

/// <summary>
/// A typed client for one Vidgate server. Thread-safe; keep one per server and API key. The <see cref="HttpClient"/> is
/// the caller's (from <c>IHttpClientFactory</c> or a long-lived instance) and is never disposed here. Every failure is a
/// <see cref="VidgateException"/>.
/// </summary>
public sealed partial class VidgateClient
{
    private readonly HttpClient _http;
    private readonly VidgateClientOptions _options;
    private readonly Uri _base;

    /// <summary>Creates a client over <paramref name="http"/>; <see cref="VidgateClientOptions.BaseUrl"/> is required.</summary>
    public VidgateClient(HttpClient http, VidgateClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _options = options;
        var baseUrl = options.BaseUrl ?? throw new ArgumentException("VidgateClientOptions.BaseUrl is required.", nameof(options));
        // A trailing slash makes relative paths resolve under a path prefix (a server behind /vidgate/).
        _base = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
    }

    private async Task<T> SendJsonAsync<T>(
        HttpMethod method, string path, JsonTypeInfo<T> type, Func<HttpContent?>? content, bool retry, CancellationToken ct,
        Action<HttpRequestMessage>? configure = null)
    {
        using var response = await SendAsync(method, path, content, retry, HttpCompletionOption.ResponseContentRead, ct, configure).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                return await JsonSerializer.DeserializeAsync(stream, type, ct).ConfigureAwait(false)
                    ?? throw Unexpected(response, "an empty JSON body");
            }
        }
        catch (JsonException e)
        {
            throw Unexpected(response, $"a body that is not the expected JSON ({e.Message})");
        }
    }

    /// <summary>
    /// Sends one call. A 429 or 503, or a connection that failed before any answer, is retried (after <c>Retry-After</c>,
    /// else 1 s, 2 s, 4 s…) only when <paramref name="retry"/> says repeating the call cannot do anything twice.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string path, Func<HttpContent?>? content, bool retry, HttpCompletionOption completion, CancellationToken ct,
        Action<HttpRequestMessage>? configure = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, new Uri(_base, path)) { Content = content?.Invoke() };
            if (_options.ApiKey is { Length: > 0 } key)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }

            configure?.Invoke(request);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, completion, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                // A refused connection is a server that is down, not a blip: saying so at once beats retrying for seconds.
                if (retry && attempt < _options.MaxRetries && e.HttpRequestError != HttpRequestError.ConnectionError)
                {
                    await DelayAsync(Backoff(attempt), ct).ConfigureAwait(false);
                    continue;
                }

                throw VidgateException.Connection($"{method} {new Uri(_base, path)} failed", e);
            }
            catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
            {
                throw VidgateException.Connection($"{method} {new Uri(_base, path)} timed out", e);
            }

            if (!retry || attempt >= _options.MaxRetries || response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable))
            {
                return response;
            }

            var wait = RetryAfter(response) ?? Backoff(attempt);
            response.Dispose();
            await DelayAsync(wait, ct).ConfigureAwait(false);
        }
    }

    private Task DelayAsync(TimeSpan wait, CancellationToken ct)
        => Task.Delay(wait > _options.MaxRetryDelay ? _options.MaxRetryDelay : wait, _options.TimeProvider, ct);

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromSeconds(Math.Pow(2, attempt));

    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - _options.TimeProvider.GetUtcNow() is { Ticks: > 0 } d ? d : TimeSpan.Zero,
        _ => null,
    };

    /// <summary>Throws the server's error envelope as a <see cref="VidgateException"/> when the call failed.</summary>
    internal static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        ErrorBody? body = null;
        try
        {
            body = text.Length > 0 ? JsonSerializer.Deserialize(text, ContractsJson.Default.ErrorBody) : null;
        }
        catch (JsonException)
        {
        }

        if (body?.Error is { } e)
        {
            throw new VidgateException(status, e.Type ?? "api_error", e.Code, e.Param, e.Message ?? $"HTTP {status}");
        }

        // Not our envelope: a proxy in between, or not a Vidgate server at all.
        var snippet = text.Length > 200 ? text[..200] + "…" : text;
        throw new VidgateException(status, "http_error", null, null, $"HTTP {status} {response.ReasonPhrase}{(snippet.Length > 0 ? ": " + snippet : "")}");
    }

    private static VidgateException Unexpected(HttpResponseMessage response, string what)
        => new((int)response.StatusCode, "invalid_response", null, null, $"The server answered {response.RequestMessage?.RequestUri} with {what}.");

    private static string Escape(string id)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        return Uri.EscapeDataString(id);
    }

    private static string Query(params (string Name, string? Value)[] pairs)
    {
        var parts = pairs.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
}
