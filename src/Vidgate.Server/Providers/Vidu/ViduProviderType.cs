using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Vidu;

/// <summary>Builds <c>vidu</c> instances (base URL <c>https://api.vidu.com</c>, or <c>https://api.vidu.cn</c> in China).</summary>
internal sealed class ViduProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers) : IVideoProviderType
{
    public string Type => "vidu";

    public string? Validate(UpstreamSettings settings)
    {
        if (settings.ApiKeys.Count == 0 || settings.ApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            return "a vidu instance needs at least one Vidu API key";
        }

        if (settings.BaseUrl.AbsolutePath.TrimEnd('/').EndsWith("/ent/v2", StringComparison.Ordinal))
        {
            return "base_url is the root without /ent/v2 (e.g. https://api.vidu.com); the adapter adds /ent/v2/...";
        }

        VendorOptions.Parse(settings.Options, ViduProvider.Reserved, out var error);
        return error;
    }

    public IVideoProvider Create(UpstreamSettings settings)
    {
        var options = VendorOptions.Parse(settings.Options, ViduProvider.Reserved, out var error) ?? throw new ArgumentException(error, nameof(settings));
        return new ViduProvider(settings, options, VendorServices.From(clients, fetcher, clock, loggers, typeof(ViduProvider).FullName!));
    }
}
