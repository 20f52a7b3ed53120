using System.Net;

namespace Vidgate.Server.Accounts;

/// <summary>
/// A key's IP fence: CIDR networks, IPv4 and IPv6 (a bare address is its own /32 or /128). The client address is the
/// connection's as ASP.NET sees it: behind a proxy, whatever the forwarded-headers setup made of it.
/// </summary>
internal static class KeyAccess
{
    public const int MaxEntries = 100;

    /// <summary>The models a key may use: its tier's, narrowed by its own list (null: every model).</summary>
    public static HashSet<string>? AllowedModels(string[]? tier, string[]? key)
        => (tier, key) switch
        {
            (null, null) => null,
            (null, { } own) => new HashSet<string>(own, StringComparer.Ordinal),
            ({ } tiers, null) => new HashSet<string>(tiers, StringComparer.Ordinal),
            ({ } tiers, { } own) => new HashSet<string>(tiers.Intersect(own, StringComparer.Ordinal), StringComparer.Ordinal),
        };

    /// <summary>The networks of <paramref name="entries"/> in canonical form, or the 400 naming the first bad one.</summary>
    public static (string[]? Networks, ApiError? Error) ParseIps(IReadOnlyList<string?>? entries, string param = "allowed_ips")
    {
        if (entries is null || entries.Count == 0)
        {
            return (null, null);
        }

        if (entries.Count > MaxEntries)
        {
            return (null, ApiError.Invalid(param, $"{param} holds at most {MaxEntries} networks."));
        }

        var networks = new List<string>(entries.Count);
        foreach (var entry in entries)
        {
            if (Network(entry) is not { } network)
            {
                return (null, ApiError.Invalid(param,
                    $"'{entry}' is not a network: give CIDR blocks such as 203.0.113.0/24 or 2001:db8::/32 (host bits zero), or single addresses."));
            }

            networks.Add(network.ToString());
        }

        return ([.. networks.Distinct(StringComparer.Ordinal)], null);
    }

    /// <summary>Stored networks, parsed; entries that no longer parse are dropped (they were checked when written).</summary>
    public static IReadOnlyList<IPNetwork>? Networks(IReadOnlyList<string>? stored)
        => stored is null || stored.Count == 0 ? null : [.. stored.Select(Network).OfType<IPNetwork>()];

    /// <summary>True when <paramref name="address"/> is inside one of <paramref name="networks"/> (null: no fence).</summary>
    public static bool Allows(IReadOnlyList<IPNetwork>? networks, IPAddress? address)
    {
        if (networks is null)
        {
            return true;
        }

        if (address is null)
        {
            return false;
        }

        // Dual-stack sockets report IPv4 clients as ::ffff:a.b.c.d; an IPv4 fence must still match them.
        var v4 = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : null;
        return networks.Any(n => n.Contains(address) || (v4 is not null && n.Contains(v4)));
    }

    /// <summary>True when the whole of <paramref name="network"/> lies inside one of <paramref name="fence"/> (both in stored form).</summary>
    public static bool Within(string network, IReadOnlyList<string> fence)
        => Network(network) is { } inner && fence.Select(Network).OfType<IPNetwork>().Any(outer =>
            outer.BaseAddress.AddressFamily == inner.BaseAddress.AddressFamily && outer.PrefixLength <= inner.PrefixLength && outer.Contains(inner.BaseAddress));

    private static IPNetwork? Network(string? text)
    {
        text = text?.Trim();
        // IPAddress parsing takes "10" as 0.0.0.10; only dotted quads and IPv6 are networks here.
        var address = text?.Split('/')[0] ?? "";
        if (string.IsNullOrEmpty(text) || (address.Count(c => c == '.') != 3 && !address.Contains(':', StringComparison.Ordinal)))
        {
            return null;
        }

        if (IPNetwork.TryParse(text, out var network))
        {
            // Host bits set (10.0.0.1/8) is refused, not masked: the operator meant a host or a block, and we cannot know which.
            return IPAddress.TryParse(address, out var written) && written.Equals(network.BaseAddress) ? network : null;
        }

        return !text.Contains('/', StringComparison.Ordinal) && IPAddress.TryParse(text, out var single)
            ? new IPNetwork(single, single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)
            : null;
    }
}
