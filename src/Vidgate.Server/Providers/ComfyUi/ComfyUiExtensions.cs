using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Vidgate.Server.Providers.ComfyUi;

internal static class ComfyUiExtensions
{
    /// <summary>Registers the <c>comfyui</c> provider type and its HTTP client (no overall timeout: each call applies the instance's).</summary>
    public static IServiceCollection AddComfyUiUpstreams(this IServiceCollection services)
    {
        services.AddHttpClient(ComfyUiProviderType.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUpstreamProviderType, ComfyUiProviderType>());
        return services;
    }
}
