using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Fetch;

namespace Vidgate.Server.Webhooks;

/// <summary>What one HTTP attempt came to: the status (null when none came back), how long it took, and what went wrong.</summary>
internal sealed record SendResult(int? StatusCode, long LatencyMs, string? Error, bool Refused = false)
{
    public bool Delivered => StatusCode is >= 200 and < 300;
}

/// <summary>
/// POSTs one signed delivery. Every connect goes through the SSRF guard (<see cref="WebhookUrls.ConnectAsync"/>);
/// redirects are not followed (a receiver that moved answers 3xx, which is a failed attempt); the whole call is bounded
/// by <see cref="WebhookOptions.Timeout"/> on the <see cref="TimeProvider"/>, and at most
/// <see cref="WebhookOptions.MaxResponseBytes"/> of the answer is read.
/// </summary>
internal sealed class WebhookSender : IDisposable
{
    private const int MaxErrorLength = 300;

    private readonly HttpClient _client;
    private readonly WebhookOptions _options;
    private readonly TimeProvider _clock;

    public WebhookSender(WebhookUrls urls, IOptions<WebhookOptions> options, IOptions<FetchOptions> fetch, TimeProvider clock)
    {
        _options = options.Value;
        _clock = clock;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = urls.ConnectAsync,
            ConnectTimeout = fetch.Value.ConnectTimeout < _options.Timeout ? fetch.Value.ConnectTimeout : _options.Timeout,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        };
        _client = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Vidgate-Webhooks", "1"));
    }

    public async Task<SendResult> SendAsync(Uri url, string webhookId, long timestamp, string signature, byte[] body, CancellationToken ct)
    {
        var started = _clock.GetTimestamp();
        using var timeout = new CancellationTokenSource(_options.Timeout, _clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("webhook-id", webhookId);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", signature);
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var excerpt = await ReadCappedAsync(response, linked.Token);
            var status = (int)response.StatusCode;
            var error = status is >= 200 and < 300 ? null : OneLine($"HTTP {status}{(excerpt.Length > 0 ? ": " + excerpt : "")}");
            return new SendResult(status, Elapsed(started), error);
        }
        catch (Exception ex) when (Refusal(ex) is { } refused)
        {
            return new SendResult(null, Elapsed(started), OneLine($"refused by the SSRF guard: {refused.Message}"), Refused: true);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return new SendResult(null, Elapsed(started), $"timed out after {_options.Timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex)
        {
            return new SendResult(null, Elapsed(started), OneLine(ex.InnerException is { } inner ? $"{ex.Message} ({inner.Message})" : ex.Message));
        }
    }

    public void Dispose() => _client.Dispose();

    private async Task<string> ReadCappedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (_options.MaxResponseBytes == 0)
        {
            return "";
        }

        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[_options.MaxResponseBytes];
        var read = 0;
        while (read < buffer.Length && await stream.ReadAsync(buffer.AsMemory(read), ct) is var n and > 0)
        {
            read += n;
        }

        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    private long Elapsed(long started) => (long)_clock.GetElapsedTime(started).TotalMilliseconds;

    private static string OneLine(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= MaxErrorLength ? line : line[..MaxErrorLength] + "…";
    }

    private static FetchRefusedException? Refusal(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is FetchRefusedException refused)
            {
                return refused;
            }
        }

        return null;
    }
}
