namespace Vidgate.Server.Providers.ComfyUi;

/// <summary>Builds <see cref="ComfyUiProvider"/> instances (type <c>comfyui</c>); the workflow is checked when the instance is saved.</summary>
internal sealed class ComfyUiProviderType(IHttpClientFactory clients, TimeProvider clock, ILoggerFactory loggers) : IVideoProviderType
{
    public string Type => "comfyui";

    public string? Validate(UpstreamSettings settings)
    {
        if (settings.BaseUrl.Scheme != Uri.UriSchemeHttp && settings.BaseUrl.Scheme != Uri.UriSchemeHttps)
        {
            return "base_url must be an http or https URL";
        }

        ComfyUiOptions.Parse(settings.Options, out var error);
        return error;
    }

    public IVideoProvider Create(UpstreamSettings settings)
    {
        var options = ComfyUiOptions.Parse(settings.Options, out var error) ?? throw new ArgumentException(error, nameof(settings));
        return new ComfyUiProvider(settings, options, clients.CreateClient(UpstreamExtensions.HttpClientName), clock, loggers.CreateLogger<ComfyUiProvider>());
    }
}
