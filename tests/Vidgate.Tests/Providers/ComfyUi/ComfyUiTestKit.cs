using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Vidgate.Fakes;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.ComfyUi;

namespace Vidgate.Tests.Providers.ComfyUi;

/// <summary>Builds <c>comfyui</c> providers through the registered type; finds the sample workflows in the repository.</summary>
internal sealed class ComfyUiTestKit : IDisposable
{
    private readonly ServiceProvider _services;

    public ComfyUiTestKit(TimeProvider? clock = null)
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

    public IUpstreamProviderType Type => _services.GetServices<IUpstreamProviderType>().Single(t => t.Type == "comfyui");

    public static string Sample(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "samples", "comfyui", name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FileNotFoundException($"samples/comfyui/{name} not found above {AppContext.BaseDirectory}");
    }

    /// <summary>Options JSON for a sample file plus extra members, e.g. <c>"fps":16</c>.</summary>
    public static string SampleOptions(string name, string extra = "") =>
        $$"""{"workflow_path": {{System.Text.Json.JsonSerializer.Serialize(Sample(name))}}{{(extra.Length > 0 ? "," + extra : "")}}}""";

    public IUpstreamProvider Create(FakeComfyUi fake, string options, TimeSpan? timeout = null)
    {
        var settings = UpstreamJobs.Settings("comfyui", fake.BaseUrl, "", options, timeout);
        Assert.Null(Type.Validate(settings));
        return Type.Create(settings);
    }

    public void Dispose()
    {
        _services.Dispose();
        Fetcher.Dispose();
    }
}
