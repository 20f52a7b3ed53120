using Vidgate.Server.Providers.Http;
using Vidgate.Server.Providers.Media;

namespace Vidgate.Server.Providers.Luma;

/// <summary>Builds <c>luma</c> instances (base URL <c>https://api.lumalabs.ai</c>; the adapter adds <c>/dream-machine/v1/…</c>).</summary>
internal sealed class LumaProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers, UpstreamImageLinks links)
    : HttpVendorType<LumaProvider>(clients, fetcher, clock, loggers)
{
    public override string Type => "luma";

    protected override string KeysNeeded => "a luma instance needs at least one Luma API key (luma-…)";

    protected override (string Path, string Refusal)? Root => ("/dream-machine/v1", "base_url is the root without /dream-machine/v1 (e.g. https://api.lumalabs.ai); the adapter adds /dream-machine/v1/...");

    protected override IReadOnlyCollection<string> Reserved => LumaProvider.Reserved;

    protected override LumaProvider Build(UpstreamSettings settings, VendorOptions options, VendorServices services) => new(settings, options, services, links);
}
