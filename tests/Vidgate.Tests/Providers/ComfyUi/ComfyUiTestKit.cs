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
        if (clock is not null)
        {
            services.AddSingleton(clock);
        }

        services.AddComfyUiUpstreams();
        _services = services.BuildServiceProvider();
    }

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

    public void Dispose() => _services.Dispose();
}
