using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.DashScope;

/// <summary>Builds <c>dashscope</c> instances: Alibaba Model Studio Wan (base URL <c>https://dashscope-intl.aliyuncs.com</c>, or <c>https://dashscope.aliyuncs.com</c> in Beijing).</summary>
internal sealed class DashScopeProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers) : IVideoProviderType
{
    public string Type => "dashscope";

    public string? Validate(UpstreamSettings settings)
    {
        if (settings.ApiKeys.Count == 0 || settings.ApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            return "a dashscope instance needs at least one DashScope API key (sk-…) of the base URL's region";
        }

        if (settings.BaseUrl.AbsolutePath.TrimEnd('/').EndsWith("/api/v1", StringComparison.Ordinal))
        {
            return "base_url is the root without /api/v1 (e.g. https://dashscope-intl.aliyuncs.com); the adapter adds /api/v1/services/...";
        }

        var options = VendorPrice.Split(settings.Options, DashScopeProvider.PriceOption, out _, out var priceError);
        if (priceError is not null)
        {
            return priceError;
        }

        VendorOptions.Parse(options, DashScopeProvider.Reserved, out var error);
        return error;
    }

    public IVideoProvider Create(UpstreamSettings settings)
    {
        var rest = VendorPrice.Split(settings.Options, DashScopeProvider.PriceOption, out var price, out var priceError);
        var options = VendorOptions.Parse(rest, DashScopeProvider.Reserved, out var error) ?? throw new ArgumentException(priceError ?? error, nameof(settings));
        return new DashScopeProvider(settings, options, price, VendorServices.From(clients, fetcher, clock, loggers, typeof(DashScopeProvider).FullName!));
    }
}
