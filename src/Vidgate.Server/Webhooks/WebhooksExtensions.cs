using Vidgate.Server.Tasks;

namespace Vidgate.Server.Webhooks;

/// <summary>
/// Webhooks (Standard Webhooks): endpoints per account, the outbox written with each task ending (<see cref="WebhookOutbox"/>,
/// a task-store participant), and the delivery worker (off with the other workers on API-only nodes).
/// </summary>
internal static class WebhooksExtensions
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section)
            .Validate(o => o.IsValid(), $"{WebhookOptions.Section}: waits, timeouts and limits must be positive, Jitter below 1, Lease longer than Timeout")
            .ValidateOnStart();
        services.AddSingleton(WebhookDb.Create);
        services.AddSingleton<WebhookStore>();
        services.AddSingleton<WebhookSignal>();
        services.AddSingleton<WebhookUrls>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<WebhookPayload>();
        services.AddSingleton<WebhookBreakers>();
        services.AddSingleton<WebhookService>();
        services.AddSingleton<ITaskParticipant, WebhookOutbox>();
        if (configuration.GetValue("Vidgate:Workers", true))
        {
            services.AddHostedService<WebhookDispatcher>();
        }

        return services;
    }
}
