using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Kling;

/// <summary>Builds <c>kling</c> instances (base URL <c>https://api-singapore.klingai.com</c>, or <c>https://api.klingai.com</c>); each key is <c>"&lt;access key&gt;|&lt;secret key&gt;"</c>.</summary>
internal sealed class KlingProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers) : IVideoProviderType
{
    public string Type => "kling";

    public string? Validate(UpstreamSettings settings)
    {
        if (settings.ApiKeys.Count == 0 || settings.ApiKeys.Any(k => KlingToken.Split(k) is null))
        {
            return "each kling key is \"<access key>|<secret key>\" (both halves, one '|')";
        }

        if (settings.BaseUrl.AbsolutePath.TrimEnd('/').EndsWith("/v1", StringComparison.Ordinal))
        {
            return "base_url is the root without /v1 (e.g. https://api-singapore.klingai.com); the adapter adds /v1/videos/...";
        }

        VendorOptions.Parse(settings.Options, KlingProvider.Reserved, out var error);
        return error;
    }

    public IVideoProvider Create(UpstreamSettings settings)
    {
        var options = VendorOptions.Parse(settings.Options, KlingProvider.Reserved, out var error) ?? throw new ArgumentException(error, nameof(settings));
        return new KlingProvider(settings, options, VendorServices.From(clients, fetcher, clock, loggers, typeof(KlingProvider).FullName!));
    }
}
