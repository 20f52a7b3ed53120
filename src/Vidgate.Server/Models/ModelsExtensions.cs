namespace Vidgate.Server.Models;

/// <summary>The model catalogue (section <c>Models</c>) and <c>GET /v1/models</c>.</summary>
internal static class ModelsExtensions
{
    public static IServiceCollection AddModels(this IServiceCollection services)
    {
        services.AddOptions<ModelCatalogOptions>()
            .Configure<IConfiguration>((options, config) => config.GetSection(ModelCatalogOptions.Section).Bind(options.Models));
        services.AddSingleton<ModelCatalog>();
        return services;
    }
}
