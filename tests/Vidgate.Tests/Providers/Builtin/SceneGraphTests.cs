using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
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
    public void The_default_builtin_settings_pass_the_startup_check()
    {
        using var provider = Registered([]);

        provider.GetRequiredService<IStartupValidator>().Validate();
        provider.GetRequiredService<BuiltinRenderer>();
    }

    [Theory]
    [InlineData("Concurrency", "0")]
    [InlineData("Concurrency", "257")]
    [InlineData("RenderTimeout", "00:00:00")]
    [InlineData("FfmpegPath", "")]
    public void A_builtin_setting_out_of_range_stops_the_server_at_startup_naming_it(string setting, string value)
    {
        using var provider = Registered(new() { [$"Providers:Builtin:{setting}"] = value });

        // What the host runs before it serves anything (ValidateOnStart): a bad setting never waits for the first render.
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Registered(Dictionary<string, string?> settings) => new ServiceCollection()
        .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
        .AddLogging()
        .AddBuiltinRenderer()
        .BuildServiceProvider(validateScopes: true);
}
