using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Runway;

/// <summary>Builds <c>runway</c> instances (base URL <c>https://api.dev.runwayml.com</c>, not api.runwayml.com).</summary>
internal sealed class RunwayProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers) : IVideoProviderType
{
    public string Type => "runway";

    public string? Validate(UpstreamSettings settings)
    {
        if (settings.ApiKeys.Count == 0 || settings.ApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            return "a runway instance needs at least one Runway API key (key_…)";
        }

        if (settings.BaseUrl.AbsolutePath.TrimEnd('/').EndsWith("/v1", StringComparison.Ordinal))
        {
            return "base_url is the root without /v1 (e.g. https://api.dev.runwayml.com); the adapter adds /v1/...";
        }

        VendorOptions.Parse(settings.Options, RunwayProvider.Reserved, out var error);
        return error;
    }

    public IVideoProvider Create(UpstreamSettings settings)
    {
        var options = VendorOptions.Parse(settings.Options, RunwayProvider.Reserved, out var error) ?? throw new ArgumentException(error, nameof(settings));
        return new RunwayProvider(settings, options, VendorServices.From(clients, fetcher, clock, loggers, typeof(RunwayProvider).FullName!));
    }
}
