using Vidgate.Server.Tasks;

namespace Vidgate.Server.Billing;

internal static class BillingExtensions
{
    public static IServiceCollection AddBilling(this IServiceCollection services)
    {
        services.AddOptions<BillingOptions>().BindConfiguration(BillingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ITaskParticipant, TaskMoney>();
        services.AddSingleton<PriceBook>();
        services.AddSingleton<BillingPolicy>();
        services.AddSingleton<RequestLimits>();
        services.AddHostedService<IdempotencySweeper>();
        return services;
    }
}
