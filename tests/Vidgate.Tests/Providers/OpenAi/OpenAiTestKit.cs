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
        if (clock is not null)
        {
            services.AddSingleton(clock);
        }

        services.AddSingleton<IGuardedFetcher>(Fetcher);
        services.AddOpenAiUpstreams();
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
