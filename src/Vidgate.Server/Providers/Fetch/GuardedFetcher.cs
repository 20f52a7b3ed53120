using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Vidgate.Server.Providers.Fetch;

/// <summary>
/// <see cref="IGuardedFetcher"/>: GETs URLs we did not choose (upstream result URLs, <c>image_url</c> inputs). Every
/// connection, every redirect hop's included, goes through <see cref="GuardedConnect"/> (resolve once, check every
/// address, connect to a checked one).
/// </summary>
internal sealed class GuardedFetcher : IGuardedFetcher, IDisposable
{
    private readonly HttpClient _client;

    public GuardedFetcher(IOptions<FetchOptions> options, IHostResolver dns)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = new GuardedConnect(options.Value, dns).ConnectAsync,
            ConnectTimeout = options.Value.ConnectTimeout,
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 5,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        };

        // Timeouts are the callers' (a result download may take minutes; an image fetch seconds).
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public async Task<HttpResponseMessage> GetAsync(Uri url, IReadOnlyDictionary<string, string>? headers, CancellationToken ct)
    {
        if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
        {
            throw new FetchRefusedException($"only http and https URLs can be fetched, not '{(url.IsAbsoluteUri ? url.Scheme : "relative")}'");
        }

        if (!string.IsNullOrEmpty(url.UserInfo))
        {
            throw new FetchRefusedException("URLs with credentials are not fetched");
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        try
        {
            return await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException ex) when (Refusal(ex) is { } refused)
        {
            throw refused;
        }
    }

    public void Dispose() => _client.Dispose();

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
