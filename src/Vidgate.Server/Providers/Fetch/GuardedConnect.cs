using System.Net;
using System.Net.Sockets;

namespace Vidgate.Server.Providers.Fetch;

/// <summary>
/// The SSRF guard's connect step, shared by every client that reaches URLs we did not choose (result downloads and
/// image inputs through <see cref="GuardedFetcher"/>, webhook deliveries): the host is resolved once, every resolved
/// address must pass <see cref="AddressPolicy"/> (a name that also points inside is refused) unless the host name itself
/// is allowlisted, and the socket connects to exactly a checked address, so DNS rebinding cannot swap in a private
/// address between check and use.
/// </summary>
internal sealed class GuardedConnect(FetchOptions options, IHostResolver dns)
{
    private readonly AddressPolicy _policy = new(options.Networks());
    private readonly IReadOnlySet<string> _hosts = options.Hosts();

    /// <summary>The host's addresses, every one checked; <see cref="FetchRefusedException"/> says why one is refused.</summary>
    public async Task<IPAddress[]> CheckHostAsync(string host, CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await dns.ResolveAsync(host, ct);
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
                    throw new FetchRefusedException($"'{host}' is refused: {reason}");
                }
            }
        }

        return addresses;
    }

    /// <summary>
    /// A <see cref="SocketsHttpHandler.ConnectCallback"/>: resolve and check once, then try the checked addresses in order
    /// (a name may resolve to ::1 first while the service listens on 127.0.0.1 only).
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var addresses = await CheckHostAsync(context.DnsEndPoint.Host, ct);
        for (var i = 0; ; i++)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(addresses[i], context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException) when (i < addresses.Length - 1)
            {
                socket.Dispose();
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }
}
