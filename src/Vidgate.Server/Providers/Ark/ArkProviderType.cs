using System.Text.Json;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Ark;

/// <summary>Builds <c>ark</c> instances: Volcengine Ark (base URL <c>https://ark.cn-beijing.volces.com</c>) or BytePlus ModelArk (<c>https://ark.ap-southeast.bytepluses.com</c>).</summary>
internal sealed class ArkProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers)
    : HttpVendorType<ArkProvider>(clients, fetcher, clock, loggers)
{
    public override string Type => "ark";

    protected override string KeysNeeded => "an ark instance needs at least one Ark API key (the video task API takes no AK/SK)";

    protected override (string Path, string Refusal)? Root => ("/api/v3", "base_url is the root without /api/v3 (e.g. https://ark.cn-beijing.volces.com); the adapter adds /api/v3/contents/...");

    protected override IReadOnlyCollection<string> Reserved => ArkProvider.Reserved;

    protected override JsonElement? SharedOptions(JsonElement? options, out string? error) => VendorPrice.Split(options, ArkProvider.PriceOption, out _, out error);

    protected override ArkProvider Build(UpstreamSettings settings, VendorOptions options, VendorServices services) => new(settings, options, Price(settings), services);

    private static decimal? Price(UpstreamSettings settings)
    {
        VendorPrice.Split(settings.Options, ArkProvider.PriceOption, out var price, out _);
        return price;
    }
}
