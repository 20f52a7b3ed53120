using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Vidgate.Server.Providers.Fetch;

/// <summary>
/// <see cref="IGuardedFetcher"/>: GETs URLs we did not choose (upstream result URLs, <c>image_url</c> inputs). The host
/// is resolved once inside the connect step and the socket connects to exactly the address that was checked, so DNS
/// rebinding cannot swap in a private address between check and use; every redirect hop connects through the same
/// check. All resolved addresses must pass (a name that also points inside is refused), unless the host name itself is
/// allowlisted.
/// </summary>
internal sealed class GuardedFetcher : IGuardedFetcher, IDisposable
{
    private readonly HttpClient _client;
    private readonly AddressPolicy _policy;
    private readonly IReadOnlySet<string> _hosts;

    public GuardedFetcher(IOptions<FetchOptions> options)
    {
        _policy = new AddressPolicy(options.Value.Networks());
        _hosts = options.Value.Hosts();
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = ConnectAsync,
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

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        if (addresses.Length == 0)
        {
            throw new FetchRefusedException($"the host '{host}' has no address");
        }

        if (!_hosts.Contains(host))
        {
            foreach (var address in addresses)
            {
                if (_policy.Check(address) is { } reason)
                {
                    throw new FetchRefusedException($"refused to fetch from '{host}': {reason}");
                }
            }
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses[0], context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
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
