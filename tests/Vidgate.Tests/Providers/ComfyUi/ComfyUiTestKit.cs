using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Vidgate.Fakes;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.ComfyUi;

namespace Vidgate.Tests.Providers.ComfyUi;

/// <summary>Builds <c>comfyui</c> providers through the registered type; finds the sample workflows in the repository.</summary>
internal sealed class ComfyUiTestKit(TimeProvider? clock = null) : UpstreamTypeKit("comfyui", clock)
{
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

    public IVideoProvider Create(FakeComfyUi fake, string options, TimeSpan? timeout = null)
        => Create(UpstreamJobs.Settings("comfyui", fake.BaseUrl, "", options, timeout));
}
