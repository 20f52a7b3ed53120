namespace Vidgate.Server.Accounts;

/// <summary>API keys and the callers they stand for; the admin key of a new install.</summary>
internal static class AccountsExtensions
{
    public static IServiceCollection AddAccounts(this IServiceCollection services)
    {
        services.AddSingleton<ApiKeys>();
        services.AddSingleton<CallerResolver>();
        services.AddSingleton<AdminKeyBootstrap>();
        services.AddHostedService(sp => sp.GetRequiredService<AdminKeyBootstrap>());
        return services;
    }
}
