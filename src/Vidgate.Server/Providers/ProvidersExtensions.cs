using Vidgate.Server.Providers.Builtin;

namespace Vidgate.Server.Providers;

/// <summary>Every generator behind the one <see cref="IVideoProvider"/> seam: builtin (local) and the remote provider types.</summary>
internal static class ProvidersExtensions
{
    public static IServiceCollection AddProviders(this IServiceCollection services)
    {
        services.AddBuiltinRenderer();
        services.AddSingleton<IVideoProvider, BuiltinProvider>();
        services.AddUpstreamProviders();
        return services;
    }
}
