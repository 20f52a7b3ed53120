using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Vidgate.Server.Providers.Builtin;

internal static class BuiltinExtensions
{
    /// <summary>Binds and validates <see cref="BuiltinOptions"/> at startup and registers the renderer.</summary>
    public static IServiceCollection AddBuiltinRenderer(this IServiceCollection services)
    {
        services.AddOptions<BuiltinOptions>()
            .BindConfiguration(BuiltinOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.RenderTimeout > TimeSpan.Zero, "Providers:Builtin:RenderTimeout must be positive")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<FfmpegRunner>();
        services.TryAddSingleton<BuiltinRenderer>();
        services.AddHostedService<BuiltinWarmUp>();
        return services;
    }
}
