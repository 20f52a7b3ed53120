using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Minimax;

/// <summary>Builds <c>minimax</c> instances: MiniMax Hailuo (base URL <c>https://api.minimax.io</c>, or <c>https://api.minimaxi.com</c> in mainland China).</summary>
internal sealed class MinimaxProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers)
    : HttpVendorType<MinimaxProvider>(clients, fetcher, clock, loggers)
{
    public override string Type => "minimax";

    protected override string KeysNeeded => "a minimax instance needs at least one MiniMax API key";

    protected override (string Path, string Refusal)? Root => ("/v1", "base_url is the root without /v1 (e.g. https://api.minimax.io); the adapter adds /v1/video_generation...");

    protected override IReadOnlyCollection<string> Reserved => MinimaxProvider.Reserved;

    protected override MinimaxProvider Build(UpstreamSettings settings, VendorOptions options, VendorServices services) => new(settings, options, services);
}
