using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Vidgate.Server.Providers.OpenAi;

internal static class OpenAiExtensions
{
    /// <summary>Registers the <c>openai</c> provider type and its HTTP client.</summary>
    public static IServiceCollection AddOpenAiUpstreams(this IServiceCollection services)
    {
        services.AddHttpClient(OpenAiProviderType.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUpstreamProviderType, OpenAiProviderType>());
        return services;
    }
}
