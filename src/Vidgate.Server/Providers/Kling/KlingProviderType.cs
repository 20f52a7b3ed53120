using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Kling;

/// <summary>Builds <c>kling</c> instances (base URL <c>https://api-singapore.klingai.com</c>, or <c>https://api.klingai.com</c>); each key is <c>"&lt;access key&gt;|&lt;secret key&gt;"</c>.</summary>
internal sealed class KlingProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers)
    : HttpVendorType<KlingProvider>(clients, fetcher, clock, loggers)
{
    public override string Type => "kling";

    protected override string KeysNeeded => "each kling key is \"<access key>|<secret key>\" (both halves, one '|')";

    protected override (string Path, string Refusal)? Root => ("/v1", "base_url is the root without /v1 (e.g. https://api-singapore.klingai.com); the adapter adds /v1/videos/...");

    protected override IReadOnlyCollection<string> Reserved => KlingProvider.Reserved;

    protected override bool Usable(string apiKey) => KlingToken.Split(apiKey) is not null;

    protected override KlingProvider Build(UpstreamSettings settings, VendorOptions options, VendorServices services) => new(settings, options, services);
}
