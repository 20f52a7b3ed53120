using Microsoft.Extensions.Options;
using Vidgate.Server.Accounts;
using Vidgate.Server.Data;
using Vidgate.Server.Models;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Builtin;
using Vidgate.Server.Storage;
using Vidgate.Server.Tasks;
using Vidgate.Server.Videos;
using Vidgate.Server.Workers;

namespace Vidgate.Server.Hosting;

/// <summary>The <c>Add*</c> calls of Program.cs: configuration, store, storage, providers, workers.</summary>
internal static class HostingExtensions
{
    /// <summary>Short environment names for the settings a first-time user touches.</summary>
    private static readonly (string Env, string Key)[] EnvAliases =
    [
        ("VIDGATE_DATA_DIR", "Vidgate:DataDir"),
        ("VIDGATE_ADMIN_KEY", "Vidgate:AdminKey"),
        ("VIDGATE_PUBLIC_URL", "Vidgate:PublicBaseUrl"),
        ("VIDGATE_FFMPEG", "Providers:Builtin:FfmpegPath"),
        ("VIDGATE_METRICS_TOKEN", "Vidgate:Metrics:Token"),
    ];

    public static WebApplicationBuilder AddVidgateConfiguration(this WebApplicationBuilder builder)
    {
        var aliases = EnvAliases
            .Select(a => (a.Key, Value: Environment.GetEnvironmentVariable(a.Env)))
            .Where(a => !string.IsNullOrEmpty(a.Value))
            .ToDictionary(a => a.Key, a => a.Value);
        builder.Configuration.AddInMemoryCollection(aliases);

        builder.Logging.AddSimpleConsole(console =>
        {
            console.IncludeScopes = true;
            console.SingleLine = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            console.UseUtcTimestamp = true;
        });

        Bind<VidgateOptions>(builder.Services, VidgateOptions.Section);

        var maxBody = builder.Configuration.GetValue<long?>("Vidgate:MaxRequestBodyBytes") ?? new VidgateOptions().MaxRequestBodyBytes;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = maxBody);
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    public static IServiceCollection AddProviders(this IServiceCollection services)
    {
        services.AddBuiltinRenderer();
        services.AddSingleton<IVideoProvider, BuiltinProvider>();
        services.AddUpstreamProviders();
        return services;
    }

    /// <summary>The one pipeline every task runs through: submit (local lanes and the remote lane), track, reconcile, finish, previews, sweep.</summary>
    public static IServiceCollection AddWorkers(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddHostedService<WorkFolderCleanup>();
        services.AddSingleton<WorkSignals>();
        services.AddSingleton<WorkerIdentity>();
        services.AddSingleton<RunningTasks>();
        services.AddSingleton<FinishQueue>();
        services.AddSingleton<PreviewQueue>();
        services.AddSingleton<TaskEndings>();
        services.AddSingleton<TaskImages>();
        services.AddSingleton<UpstreamCancel>();
        services.AddSingleton<UpstreamCanceller>();
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

    private static void Bind<T>(IServiceCollection services, string section) where T : class
        => services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
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
