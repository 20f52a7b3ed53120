namespace Vidgate.Server.Providers.OpenAi;

/// <summary>Builds <see cref="OpenAiProvider"/> instances (type <c>openai</c>) from admin-configured settings.</summary>
internal sealed class OpenAiProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers)
    : IVideoProviderType
{
    public string Type => "openai";

    public string? Validate(UpstreamSettings settings)
    {
        if (settings.BaseUrl.Scheme != Uri.UriSchemeHttp && settings.BaseUrl.Scheme != Uri.UriSchemeHttps)
        {
            return "base_url must be an http or https URL";
        }

        if (settings.ApiKeys.Count == 0 || settings.ApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            return "an openai upstream needs at least one API key (no empty keys)";
        }

        OpenAiOptions.Parse(settings.Options, out var error);
        return error;
    }

    public IVideoProvider Create(UpstreamSettings settings)
    {
        var options = OpenAiOptions.Parse(settings.Options, out var error) ?? throw new ArgumentException(error, nameof(settings));
        return new OpenAiProvider(settings, options, clients.CreateClient(UpstreamExtensions.HttpClientName), fetcher, clock, loggers.CreateLogger<OpenAiProvider>());
    }
}
