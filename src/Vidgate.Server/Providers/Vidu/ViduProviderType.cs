using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Vidu;

/// <summary>Builds <c>vidu</c> instances (base URL <c>https://api.vidu.com</c>, or <c>https://api.vidu.cn</c> in China).</summary>
internal sealed class ViduProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers)
    : HttpVendorType<ViduProvider>(clients, fetcher, clock, loggers)
{
    public override string Type => "vidu";

    protected override string KeysNeeded => "a vidu instance needs at least one Vidu API key";

    protected override (string Path, string Refusal)? Root => ("/ent/v2", "base_url is the root without /ent/v2 (e.g. https://api.vidu.com); the adapter adds /ent/v2/...");

    protected override IReadOnlyCollection<string> Reserved => ViduProvider.Reserved;

    protected override ViduProvider Build(UpstreamSettings settings, VendorOptions options, VendorServices services) => new(settings, options, services);
}
