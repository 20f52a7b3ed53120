using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Minimax;

/// <summary>Builds <c>minimax</c> instances: MiniMax Hailuo (base URL <c>https://api.minimax.io</c>, or <c>https://api.minimaxi.com</c> in mainland China).</summary>
internal sealed class MinimaxProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers) : IVideoProviderType
{
    public string Type => "minimax";

    public string? Validate(UpstreamSettings settings)
    {
        if (settings.ApiKeys.Count == 0 || settings.ApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            return "a minimax instance needs at least one MiniMax API key";
        }

        if (settings.BaseUrl.AbsolutePath.TrimEnd('/').EndsWith("/v1", StringComparison.Ordinal))
        {
            return "base_url is the root without /v1 (e.g. https://api.minimax.io); the adapter adds /v1/video_generation...";
        }

        VendorOptions.Parse(settings.Options, MinimaxProvider.Reserved, out var error);
        return error;
    }

    public IVideoProvider Create(UpstreamSettings settings)
    {
        var options = VendorOptions.Parse(settings.Options, MinimaxProvider.Reserved, out var error) ?? throw new ArgumentException(error, nameof(settings));
        return new MinimaxProvider(settings, options, VendorServices.From(clients, fetcher, clock, loggers, typeof(MinimaxProvider).FullName!));
    }
}
