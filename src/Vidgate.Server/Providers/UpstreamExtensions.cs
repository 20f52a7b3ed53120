using Microsoft.Extensions.Options;
using Vidgate.Server.Providers.Ark;
using Vidgate.Server.Providers.ComfyUi;
using Vidgate.Server.Providers.DashScope;
using Vidgate.Server.Providers.Fal;
using Vidgate.Server.Providers.Fetch;
using Vidgate.Server.Providers.Kling;
using Vidgate.Server.Providers.Luma;
using Vidgate.Server.Providers.Media;
using Vidgate.Server.Providers.Minimax;
using Vidgate.Server.Providers.OpenAi;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Providers.Replicate;
using Vidgate.Server.Providers.Runway;
using Vidgate.Server.Providers.Veo;
using Vidgate.Server.Providers.Vertex;
using Vidgate.Server.Providers.Vidu;
using Vidgate.Server.Providers.Xai;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Providers;

internal static class UpstreamExtensions
{
    /// <summary>The named <see cref="HttpClient"/> provider instances talk to their (operator-chosen, trusted) base URLs with.</summary>
    public const string HttpClientName = "vidgate-upstream";

    /// <summary>Remote providers: the registry of instances and routes, the SSRF-guarded fetcher, and one line per provider type.</summary>
    public static IServiceCollection AddUpstreamProviders(this IServiceCollection services)
    {
        // Provider types: one line each.
        services.AddSingleton<IVideoProviderType, XaiProviderType>();
        services.AddSingleton<IVideoProviderType, OpenAiProviderType>();
        services.AddSingleton<IVideoProviderType, ComfyUiProviderType>();
        services.AddSingleton<IVideoProviderType, VeoProviderType>();
        services.AddSingleton<IVideoProviderType, KlingProviderType>();
        services.AddSingleton<IVideoProviderType, MinimaxProviderType>();
        services.AddSingleton<IVideoProviderType, DashScopeProviderType>();
        services.AddSingleton<IVideoProviderType, ArkProviderType>();
        services.AddSingleton<IVideoProviderType, ViduProviderType>();
        services.AddSingleton<IVideoProviderType, RunwayProviderType>();
        services.AddSingleton<IVideoProviderType, LumaProviderType>();
        services.AddUpstreamImageLinks();
        services.AddSingleton<IVideoProviderType, FalProviderType>();
        services.AddSingleton<FalWebhookKeys>();
        services.AddSingleton<IVideoProviderType, ReplicateProviderType>();
        services.AddSingleton<IVideoProviderType, VertexProviderType>();

        services.AddOptions<UpstreamOptions>().BindConfiguration(UpstreamOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.IsValid(), $"{UpstreamOptions.Section}: intervals, lease, deadline and timeouts must be positive, and max intervals at least the min").ValidateOnStart();
        services.AddOptions<FetchOptions>().BindConfiguration(FetchOptions.Section)
            .Validate(o => o.IsValid(), $"{FetchOptions.Section}: timeouts must be positive and Allow entries hosts, addresses or CIDRs").ValidateOnStart();
        services.AddHttpClient(HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            // Thousands of polls a second must not mean thousands of log lines; outcomes are logged by the workers.
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // Thousands of polls in flight: many connections per upstream, recycled so DNS changes are seen.
                MaxConnectionsPerServer = 512,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(10),
                AllowAutoRedirect = false,
                UseCookies = false,
            });
        services.AddSingleton<IHostResolver, SystemHostResolver>();
        services.AddSingleton<IGuardedFetcher, GuardedFetcher>();
        services.AddSingleton<UpstreamRegistry>();
        return services;
    }
}
