using Vidgate.Server.Providers.Http;
using Vidgate.Server.Providers.Media;

namespace Vidgate.Server.Providers.Luma;

/// <summary>Builds <c>luma</c> instances (base URL <c>https://api.lumalabs.ai</c>; the adapter adds <c>/dream-machine/v1/…</c>).</summary>
internal sealed class LumaProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers, UpstreamImageLinks links) : IVideoProviderType
{
    public string Type => "luma";

    public string? Validate(UpstreamSettings settings)
    {
        if (settings.ApiKeys.Count == 0 || settings.ApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            return "a luma instance needs at least one Luma API key (luma-…)";
        }

        if (settings.BaseUrl.AbsolutePath.TrimEnd('/').EndsWith("/dream-machine/v1", StringComparison.Ordinal))
        {
            return "base_url is the root without /dream-machine/v1 (e.g. https://api.lumalabs.ai); the adapter adds /dream-machine/v1/...";
        }

        VendorOptions.Parse(settings.Options, LumaProvider.Reserved, out var error);
        return error;
    }

    public IVideoProvider Create(UpstreamSettings settings)
    {
        var options = VendorOptions.Parse(settings.Options, LumaProvider.Reserved, out var error) ?? throw new ArgumentException(error, nameof(settings));
        return new LumaProvider(settings, options, VendorServices.From(clients, fetcher, clock, loggers, typeof(LumaProvider).FullName!), links);
    }
}
