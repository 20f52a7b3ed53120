using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Ark;

/// <summary>Builds <c>ark</c> instances: Volcengine Ark (base URL <c>https://ark.cn-beijing.volces.com</c>) or BytePlus ModelArk (<c>https://ark.ap-southeast.bytepluses.com</c>).</summary>
internal sealed class ArkProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers) : IVideoProviderType
{
    public string Type => "ark";

    public string? Validate(UpstreamSettings settings)
    {
        if (settings.ApiKeys.Count == 0 || settings.ApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            return "an ark instance needs at least one Ark API key (the video task API takes no AK/SK)";
        }

        if (settings.BaseUrl.AbsolutePath.TrimEnd('/').EndsWith("/api/v3", StringComparison.Ordinal))
        {
            return "base_url is the root without /api/v3 (e.g. https://ark.cn-beijing.volces.com); the adapter adds /api/v3/contents/...";
        }

        var options = VendorPrice.Split(settings.Options, ArkProvider.PriceOption, out _, out var priceError);
        if (priceError is not null)
        {
            return priceError;
        }

        VendorOptions.Parse(options, ArkProvider.Reserved, out var error);
        return error;
    }

    public IVideoProvider Create(UpstreamSettings settings)
    {
        var rest = VendorPrice.Split(settings.Options, ArkProvider.PriceOption, out var price, out var priceError);
        var options = VendorOptions.Parse(rest, ArkProvider.Reserved, out var error) ?? throw new ArgumentException(priceError ?? error, nameof(settings));
        return new ArkProvider(settings, options, price, VendorServices.From(clients, fetcher, clock, loggers, typeof(ArkProvider).FullName!));
    }
}
