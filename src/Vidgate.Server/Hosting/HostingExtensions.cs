using Microsoft.Extensions.Options;
using Vidgate.Server.Accounts;
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
        builder.Services.AddOptions<ModelCatalogOptions>()
            .Configure<IConfiguration>((options, config) => config.GetSection(ModelCatalogOptions.Section).Bind(options.Models));

        var maxBody = builder.Configuration.GetValue<long?>("Vidgate:MaxRequestBodyBytes") ?? new VidgateOptions().MaxRequestBodyBytes;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = maxBody);
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    public static IServiceCollection AddStore(this IServiceCollection services)
    {
        services.AddSingleton<SqliteDatabase>();
        services.AddSingleton<ITaskStore, SqliteTaskStore>();
        services.AddSingleton<IKeyStore, SqliteKeyStore>();
        services.AddSingleton<IBlobStore, FileBlobStore>();
        return services;
    }

    public static IServiceCollection AddVideos(this IServiceCollection services)
    {
        services.AddSingleton<ApiKeys>();
        services.AddSingleton<AdminKeyBootstrap>();
        services.AddSingleton<ContentLinks>();
        services.AddSingleton<ModelCatalog>();
        services.AddSingleton<VideoService>();
        services.AddSingleton<ImageUrlFetch>();
        services.AddSingleton<CreateVideo>();
        services.AddHostedService<StartupTasks>();
        return services;
    }

    public static IServiceCollection AddProviders(this IServiceCollection services)
    {
        services.AddBuiltinRenderer();
        services.AddSingleton<IVideoProvider, BuiltinProvider>();
        services.AddUpstreamProviders();
        return services;
    }

    public static IServiceCollection AddWorkers(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<WorkSignal>();
        services.AddSingleton<RunningTasks>();
        services.AddSingleton<Sweeper>();
        services.AddSingleton<WorkerIdentity>();
        services.AddSingleton<UpstreamSignals>();
        services.AddSingleton<UpstreamCanceller>();
        services.AddSingleton<UpstreamSubmitter>();
        services.AddSingleton<Finisher>();
        services.AddSingleton<Tracker>();
        if (configuration.GetValue("Vidgate:Workers", true))
        {
            services.AddHostedService<Dispatcher>();
            services.AddHostedService(sp => sp.GetRequiredService<Sweeper>());
            services.AddHostedService(sp => sp.GetRequiredService<UpstreamSubmitter>());
            services.AddHostedService(sp => sp.GetRequiredService<Tracker>());
            services.AddHostedService(sp => sp.GetRequiredService<Finisher>());
            services.AddHostedService(sp => sp.GetRequiredService<Providers.Media.PreviewMaker>());
        }

        return services;
    }

    private static void Bind<T>(IServiceCollection services, string section) where T : class
        => services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
}

/// <summary>Runs before the server listens: admin key on an empty database, link secret, stale work folders.</summary>
internal sealed class StartupTasks(AdminKeyBootstrap admin, ContentLinks links, IOptions<VidgateOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await admin.StartAsync(cancellationToken);
        await links.InitializeAsync(cancellationToken);

        // Work folders of renders interrupted by a crash; their tasks are re-run from the store.
        if (Directory.Exists(options.Value.WorkRoot))
        {
            Directory.Delete(options.Value.WorkRoot, recursive: true);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
