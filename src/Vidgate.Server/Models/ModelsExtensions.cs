using Microsoft.Extensions.Options;
using Vidgate.Server.Providers;

namespace Vidgate.Server.Models;

/// <summary>The model catalogue (section <c>Models</c> seeds it; the database keeps it) and <c>GET /v1/models</c>.</summary>
internal static class ModelsExtensions
{
    public static IServiceCollection AddModels(this IServiceCollection services)
    {
        services.AddOptions<ModelCatalogOptions>()
            .Configure<IConfiguration>((options, config) => config.GetSection(ModelCatalogOptions.Section).Bind(options.Models));
        services.AddSingleton(sp => new ModelCatalog(
            sp.GetRequiredService<IOptions<ModelCatalogOptions>>(),
            sp.GetRequiredService<IModelStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<UpstreamOptions>>().Value.ReloadInterval,
            sp.GetRequiredService<ILogger<ModelCatalog>>()));
        return services;
    }
}
