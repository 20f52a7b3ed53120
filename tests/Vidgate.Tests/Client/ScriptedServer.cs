using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Vidgate.Client;

namespace Vidgate.Tests.Client;

/// <summary>A loopback Kestrel app with routes a test scripts, standing in for a server that speaks a documented protocol.</summary>
internal sealed class ScriptedServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromMinutes(1) };

    private ScriptedServer(WebApplication app) => _app = app;

    public static async Task<ScriptedServer> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return new ScriptedServer(app);
    }

    public VidgateClient Client(Action<VidgateClientOptions>? configure = null)
    {
        var options = new VidgateClientOptions { BaseUrl = new Uri(_app.Urls.First()), ApiKey = "vg_test" };
        configure?.Invoke(options);
        return new VidgateClient(_http, options);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
