namespace Vidgate.Server.Callbacks;

/// <summary>Upstream callbacks (issue #15): the receiving route and its per-instance rate limit.</summary>
internal static class CallbacksExtensions
{
    public static IServiceCollection AddUpstreamCallbacks(this IServiceCollection services)
    {
        services.AddOptions<CallbackOptions>().BindConfiguration(CallbackOptions.Section)
            .Validate(o => o.IsValid(), $"{CallbackOptions.Section}: RatePerSecond must be positive, Burst at least 1, MaxBodyBytes at least 1024")
            .ValidateOnStart();
        services.AddSingleton<CallbackLimiter>();
        return services;
    }
}
