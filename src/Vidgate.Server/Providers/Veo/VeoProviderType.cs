using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Veo;

/// <summary>Builds <c>veo</c> instances: Google Veo on the Gemini API (base URL <c>https://generativelanguage.googleapis.com</c>).</summary>
internal sealed class VeoProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers) : IVideoProviderType
{
    public string Type => "veo";

    public string? Validate(UpstreamSettings settings)
    {
        if (settings.ApiKeys.Count == 0 || settings.ApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            return "a veo instance needs at least one Gemini API key";
        }

        if (settings.BaseUrl.AbsolutePath.TrimEnd('/').EndsWith("/v1beta", StringComparison.Ordinal))
        {
            return "base_url is the root without /v1beta (e.g. https://generativelanguage.googleapis.com); the adapter adds /v1beta/...";
        }

        VendorOptions.Parse(settings.Options, VeoProvider.Reserved, out var error);
        return error;
    }

    public IVideoProvider Create(UpstreamSettings settings)
    {
        var options = VendorOptions.Parse(settings.Options, VeoProvider.Reserved, out var error) ?? throw new ArgumentException(error, nameof(settings));
        return new VeoProvider(settings, options, VendorServices.From(clients, fetcher, clock, loggers, typeof(VeoProvider).FullName!));
    }
}
