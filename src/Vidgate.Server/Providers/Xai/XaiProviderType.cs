using System.Text.Json;

namespace Vidgate.Server.Providers.Xai;

/// <summary>Builds <c>xai</c> instances: xAI's own video API, or anything that speaks it.</summary>
internal sealed class XaiProviderType(IHttpClientFactory http, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers) : IVideoProviderType
{
    public string Type => "xai";

    public string? Validate(UpstreamSettings settings)
    {
        // No type-specific options yet: refuse any, so a typo is not silently ignored.
        if (settings.Options is { ValueKind: JsonValueKind.Object } options && options.EnumerateObject().Any())
        {
            return "The xai type takes no options; leave options empty.";
        }

        return settings.BaseUrl.AbsolutePath.TrimEnd('/').EndsWith("/v1", StringComparison.Ordinal)
            ? "base_url is the root without /v1 (e.g. https://api.x.ai); the provider adds /v1/videos/..."
            : null;
    }

    public IVideoProvider Create(UpstreamSettings settings)
        => new XaiProvider(settings, http.CreateClient(UpstreamExtensions.HttpClientName), fetcher, loggers.CreateLogger<XaiProvider>(), clock);
}
