using Microsoft.Extensions.Options;

using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>The pipeline every task runs through: submit, track, reconcile, finish, previews, sweep (off with <c>--no-workers</c>).</summary>
internal static class WorkersExtensions
{
    public static IServiceCollection AddWorkers(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddHostedService<WorkFolderCleanup>();
        services.AddSingleton<WorkSignals>();
        services.AddSingleton<WorkerIdentity>();
        services.AddSingleton<RunningTasks>();
        services.AddSingleton<FinishQueue>();
        services.AddSingleton<PollBacklog>();
        services.AddSingleton<PreviewQueue>();
        services.AddSingleton<TaskEndings>();
        services.AddSingleton<TaskImages>();
        services.AddSingleton<UpstreamCancel>();
        services.AddHostedService<UpstreamCanceller>();
        services.AddSingleton<SubmitCall>();
        services.AddSingleton<LocalRun>();
        services.AddSingleton<RemoteSubmit>();
        services.AddSingleton<Sweeper>();
        if (configuration.GetValue("Vidgate:Workers", true))
        {
            services.AddHostedService<Submitter>();
            services.AddHostedService<Tracker>();
            services.AddHostedService<Reconciler>();
            services.AddHostedService<Finisher>();
            services.AddHostedService<PreviewMaker>();
            services.AddHostedService(sp => sp.GetRequiredService<Sweeper>());
        }

        return services;
    }
}

/// <summary>Work folders of renders interrupted by a crash, removed before the server listens; their tasks are re-run from the store.</summary>
internal sealed class WorkFolderCleanup(IOptions<VidgateOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Directory.Exists(options.Value.WorkRoot))
        {
            Directory.Delete(options.Value.WorkRoot, recursive: true);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
