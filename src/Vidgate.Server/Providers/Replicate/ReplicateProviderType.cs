using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Replicate;

/// <summary>Builds <c>replicate</c> instances (base URL <c>https://api.replicate.com</c>); each key is a Replicate API token.</summary>
internal sealed class ReplicateProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers)
    : HttpVendorType<ReplicateProvider>(clients, fetcher, clock, loggers)
{
    public override string Type => "replicate";

    protected override string KeysNeeded => "a replicate instance needs at least one Replicate API token";

    protected override (string Path, string Refusal)? Root => ("/v1", "base_url is the root without /v1 (e.g. https://api.replicate.com); the adapter adds /v1/...");

    protected override IReadOnlyCollection<string> Reserved => ReplicateProvider.Reserved;

    protected override ReplicateProvider Build(UpstreamSettings settings, VendorOptions options, VendorServices services) => new(settings, options, services);
}
