using System.Text.Json;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.DashScope;

/// <summary>Builds <c>dashscope</c> instances: Alibaba Model Studio Wan (base URL <c>https://dashscope-intl.aliyuncs.com</c>, or <c>https://dashscope.aliyuncs.com</c> in Beijing).</summary>
internal sealed class DashScopeProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers)
    : HttpVendorType<DashScopeProvider>(clients, fetcher, clock, loggers)
{
    public override string Type => "dashscope";

    protected override string KeysNeeded => "a dashscope instance needs at least one DashScope API key (sk-…) of the base URL's region";

    protected override (string Path, string Refusal)? Root => ("/api/v1", "base_url is the root without /api/v1 (e.g. https://dashscope-intl.aliyuncs.com); the adapter adds /api/v1/services/...");

    protected override IReadOnlyCollection<string> Reserved => DashScopeProvider.Reserved;

    protected override JsonElement? SharedOptions(JsonElement? options, out string? error) => VendorPrice.Split(options, DashScopeProvider.PriceOption, out _, out error);

    protected override DashScopeProvider Build(UpstreamSettings settings, VendorOptions options, VendorServices services) => new(settings, options, Price(settings), services);

    private static decimal? Price(UpstreamSettings settings)
    {
        VendorPrice.Split(settings.Options, DashScopeProvider.PriceOption, out var price, out _);
        return price;
    }
}
