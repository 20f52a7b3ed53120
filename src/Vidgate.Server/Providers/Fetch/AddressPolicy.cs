using System.Net;
using System.Net.Sockets;

namespace Vidgate.Server.Providers.Fetch;

/// <summary>Which IP addresses a URL we did not choose may reach: public ones, and what the operator allowlisted.</summary>
internal sealed class AddressPolicy(IReadOnlyList<IPNetwork> allowed)
{
    // Not the public internet: this host, private networks, link-local (incl. cloud metadata 169.254.169.254 and
    // fd00:ec2::254, which sits in fc00::/7), CGNAT, benchmarking, multicast and reserved ranges.
    private static readonly IPNetwork[] Blocked =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"), IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.0.2.0/24"),
        IPNetwork.Parse("192.168.0.0/16"), IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("198.51.100.0/24"), IPNetwork.Parse("203.0.113.0/24"),
        IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"), IPNetwork.Parse("ff00::/8"),
        IPNetwork.Parse("64:ff9b::/96"), IPNetwork.Parse("2001:db8::/32"),
    ];

    /// <summary>Null when <paramref name="address"/> may be fetched; otherwise why not.</summary>
    public string? Check(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (allowed.Any(n => n.Contains(address)))
        {
            return null;
        }

        return Blocked.Any(n => n.BaseAddress.AddressFamily == address.AddressFamily && n.Contains(address))
               || (address.AddressFamily != AddressFamily.InterNetwork && address.AddressFamily != AddressFamily.InterNetworkV6)
            ? $"the address {address} is not public (loopback, private, link-local, metadata or reserved); allowlist it in Vidgate:Fetch:Allow if this is intended"
            : null;
    }
}
