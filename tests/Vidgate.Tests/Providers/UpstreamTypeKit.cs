using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Vidgate.Server.Providers;
using Vidgate.Tests.Providers.OpenAi;

namespace Vidgate.Tests.Providers;

/// <summary>
/// Builds providers of one upstream type the way the server does: the production registration (same named client:
/// no redirects, pooled) through the registered <see cref="IVideoProviderType"/>, with the SSRF guard swapped for
/// a recorder.
/// </summary>
internal abstract class UpstreamTypeKit : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly string _type;

    /// <param name="configure">Replacements applied after the production registration (a vendor's own collaborators).</param>
    protected UpstreamTypeKit(string type, TimeProvider? clock, Action<IServiceCollection>? configure = null)
    {
        _type = type;
        var services = new ServiceCollection().AddLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace));
        services.AddSingleton(clock ?? TimeProvider.System);
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddUpstreamProviders();
        services.AddSingleton<IGuardedFetcher>(Fetcher);
        configure?.Invoke(services);
        _services = services.BuildServiceProvider();
    }

    public RecordingFetcher Fetcher { get; } = new();

    /// <summary>Every log line the providers wrote (for "credentials are never logged").</summary>
    public CapturedLogs Logs { get; } = new();

    public IVideoProviderType Type => _services.GetServices<IVideoProviderType>().Single(t => t.Type == _type);

    /// <summary>A provider from settings the type must accept.</summary>
    protected IVideoProvider Create(UpstreamSettings settings)
    {
        Assert.Null(Type.Validate(settings));
        return Type.Create(settings);
    }

    public void Dispose()
    {
        _services.Dispose();
        Fetcher.Dispose();
    }
}
