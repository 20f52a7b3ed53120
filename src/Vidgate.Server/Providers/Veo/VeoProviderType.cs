using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Veo;

/// <summary>Builds <c>veo</c> instances: Google Veo on the Gemini API (base URL <c>https://generativelanguage.googleapis.com</c>).</summary>
internal sealed class VeoProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers)
    : HttpVendorType<VeoProvider>(clients, fetcher, clock, loggers)
{
    public override string Type => "veo";

    protected override string KeysNeeded => "a veo instance needs at least one Gemini API key";

    protected override (string Path, string Refusal)? Root => ("/v1beta", "base_url is the root without /v1beta (e.g. https://generativelanguage.googleapis.com); the adapter adds /v1beta/...");

    protected override IReadOnlyCollection<string> Reserved => VeoProvider.Reserved;

    protected override VeoProvider Build(UpstreamSettings settings, VendorOptions options, VendorServices services) => new(settings, options, services);
}
