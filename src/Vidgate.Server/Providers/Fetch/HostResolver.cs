using System.Net;

namespace Vidgate.Server.Providers.Fetch;

/// <summary>
/// Name resolution for the SSRF guard (<see cref="GuardedConnect"/>). DNS lies outside the machine and outside our
/// control, like the clock: an attacker who owns a domain decides what it resolves to, and may change the answer between
/// two lookups. The seam lets the security tests play that attacker; the server uses the system's resolver.
/// </summary>
internal interface IHostResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct);
}

/// <summary>The system's resolver (<c>/etc/hosts</c>, then DNS).</summary>
internal sealed class SystemHostResolver : IHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) => Dns.GetHostAddressesAsync(host, ct);
}
