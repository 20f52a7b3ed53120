using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Runway;

/// <summary>Builds <c>runway</c> instances (base URL <c>https://api.dev.runwayml.com</c>, not api.runwayml.com).</summary>
internal sealed class RunwayProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers)
    : HttpVendorType<RunwayProvider>(clients, fetcher, clock, loggers)
{
    public override string Type => "runway";

    protected override string KeysNeeded => "a runway instance needs at least one Runway API key (key_…)";

    protected override (string Path, string Refusal)? Root => ("/v1", "base_url is the root without /v1 (e.g. https://api.dev.runwayml.com); the adapter adds /v1/...");

    protected override IReadOnlyCollection<string> Reserved => RunwayProvider.Reserved;

    protected override RunwayProvider Build(UpstreamSettings settings, VendorOptions options, VendorServices services) => new(settings, options, services);
}
