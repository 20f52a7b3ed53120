using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Replicate;

/// <summary>Builds <c>replicate</c> instances (base URL <c>https://api.replicate.com</c>); each key is a Replicate API token.</summary>
internal sealed class ReplicateProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers) : IVideoProviderType
{
    public string Type => "replicate";

    public string? Validate(UpstreamSettings settings)
    {
        if (settings.ApiKeys.Count == 0 || settings.ApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            return "a replicate instance needs at least one Replicate API token";
        }

        if (settings.BaseUrl.AbsolutePath.TrimEnd('/').EndsWith("/v1", StringComparison.Ordinal))
        {
            return "base_url is the root without /v1 (e.g. https://api.replicate.com); the adapter adds /v1/...";
        }

        VendorOptions.Parse(settings.Options, ReplicateProvider.Reserved, out var error);
        return error;
    }

    public IVideoProvider Create(UpstreamSettings settings)
    {
        var options = VendorOptions.Parse(settings.Options, ReplicateProvider.Reserved, out var error) ?? throw new ArgumentException(error, nameof(settings));
        return new ReplicateProvider(settings, options, VendorServices.From(clients, fetcher, clock, loggers, typeof(ReplicateProvider).FullName!));
    }
}
