using System.Net;

namespace Vidgate.Server.Providers.Fetch;

/// <summary>
/// Section <c>Vidgate:Fetch</c>: what the SSRF guard lets through besides public addresses. <see cref="Allow"/> holds
/// CIDRs (<c>10.1.0.0/16</c>, <c>::1/128</c>), single addresses or host names (exact, case-insensitive), e.g. a
/// ComfyUI box on the LAN. Empty by default: only public addresses are fetched.
/// </summary>
internal sealed class FetchOptions
{
    public const string Section = "Vidgate:Fetch";

    public string[] Allow { get; set; } = [];

    /// <summary>Time to connect (DNS included) to a fetched URL.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time limit of an <c>image_url</c> fetch at create time (headers and body).</summary>
    public TimeSpan ImageTimeout { get; set; } = TimeSpan.FromSeconds(20);

    public IReadOnlyList<IPNetwork> Networks() => [.. Allow.Where(a => a.Contains('/', StringComparison.Ordinal) || IPAddress.TryParse(a, out _))
        .Select(a => a.Contains('/', StringComparison.Ordinal) ? IPNetwork.Parse(a) : new IPNetwork(IPAddress.Parse(a), IPAddress.Parse(a).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128))];

    public IReadOnlySet<string> Hosts() => Allow.Where(a => !a.Contains('/', StringComparison.Ordinal) && !IPAddress.TryParse(a, out _))
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    public bool IsValid() => ConnectTimeout > TimeSpan.Zero && ImageTimeout > TimeSpan.Zero
        && Allow.All(a => !a.Contains('/', StringComparison.Ordinal) || IPNetwork.TryParse(a, out _));
}
