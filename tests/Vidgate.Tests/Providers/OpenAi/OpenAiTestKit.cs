using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Vidgate.Fakes;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.OpenAi;

namespace Vidgate.Tests.Providers.OpenAi;

/// <summary>Builds <c>openai</c> providers the way the server does: through the registered type, from settings.</summary>
internal sealed class OpenAiTestKit : IDisposable
{
    private readonly ServiceProvider _services;

    public OpenAiTestKit(TimeProvider? clock = null)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton(clock ?? TimeProvider.System);

        // The production registration (same named client: no redirects, pooled), with the guard swapped for a recorder.
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddUpstreamProviders();
        services.AddSingleton<IGuardedFetcher>(Fetcher);
        _services = services.BuildServiceProvider();
    }

    public RecordingFetcher Fetcher { get; } = new();

    public IUpstreamProviderType Type => _services.GetServices<IUpstreamProviderType>().Single(t => t.Type == "openai");

    public IUpstreamProvider Create(FakeOpenAiUpstream fake, string? options = null, TimeSpan? timeout = null, string? baseSuffix = null)
    {
        var settings = UpstreamJobs.Settings("openai", new Uri(fake.BaseUrl.AbsoluteUri.TrimEnd('/') + baseSuffix), fake.ApiKey, options, timeout);
        Assert.Null(Type.Validate(settings));
        return Type.Create(settings);
    }

    public void Dispose()
    {
        _services.Dispose();
        Fetcher.Dispose();
    }
}
