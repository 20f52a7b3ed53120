using Microsoft.Extensions.Options;
using Vidgate.Server.Models;

namespace Vidgate.Server.Hosting;

/// <summary>
/// Configuration, logging and Kestrel limits: the one <c>Add*</c> that is not a feature's. Every feature registers itself
/// (<c>Add*</c> and <c>Map*</c> in its own folder); Program.cs lists them.
/// </summary>
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
        // Kestrel's own limits (Kestrel:Limits:RequestHeadersTimeout, MinRequestBodyDataRate, MaxRequestHeadersTotalSize, ...)
        // are settable like every other option; the body size stays Vidgate's own setting.
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(builder.Configuration.GetSection("Kestrel"));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = maxBody);
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    private static void Bind<T>(IServiceCollection services, string section) where T : class
        => services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
}
