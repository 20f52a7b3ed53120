using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Vidgate.Server.Providers.Builtin;

namespace Vidgate.Tests.Providers.Builtin;

public sealed class SceneGraphTests
{
    [Fact]
    public void The_prompt_never_reaches_the_filter_graph()
    {
        const string prompt = "sunset marker-7f3a9 ' ; [x] %{pts}";
        var plan = ScenePlanner.Plan(prompt);

        var graph = SceneGraph.Text(plan, 1280, 720, 48);

        Assert.DoesNotContain("marker-7f3a9", graph, StringComparison.Ordinal);
        Assert.DoesNotContain("%{", graph, StringComparison.Ordinal);
        Assert.DoesNotContain("sunset", graph, StringComparison.Ordinal);
    }

    [Fact]
    public void The_renderer_registers_with_validated_options()
    {
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().Build())
            .AddLogging()
            .AddBuiltinRenderer();
        using var provider = services.BuildServiceProvider(validateScopes: true);

        Assert.NotNull(provider.GetRequiredService<BuiltinRenderer>());
        Assert.NotNull(provider.GetRequiredService<FfmpegRunner>());
    }
}
