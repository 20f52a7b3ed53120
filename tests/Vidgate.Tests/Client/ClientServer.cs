using Vidgate.Client;
using Vidgate.Contracts;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Client;

/// <summary>
/// One real server process (SQLite, local files, the builtin renderer with real ffmpeg) shared by a test class, with an
/// admin client and helpers that make a fresh unmetered account and key, so each test sees only its own videos.
/// </summary>
public sealed class ClientServer : IAsyncLifetime
{
    private readonly List<HttpClient> _http = [];
    private ServerProcess? _server;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("not started");

    public Uri BaseUrl => Server.BaseAddress;

    public VidgateClient Admin { get; private set; } = null!;

    /// <summary>Extra server arguments (e.g. a failing ffmpeg) for fixtures derived from this one.</summary>
    internal string[] Args { get; init; } = [];

    public async ValueTask InitializeAsync()
    {
        var data = Directory.CreateTempSubdirectory("vidgate-client-").FullName;
        // Progress written every 100 ms, so even a one-second render reports intermediate values.
        _server = await ServerProcess.StartAsync(data, null, ["--Vidgate:ProgressInterval=00:00:00.100", .. Args]);
        Admin = Client(VidgateApp.AdminKey);
    }

    /// <summary>A client for <paramref name="key"/>, optionally through another base address (a proxy).</summary>
    public VidgateClient Client(string? key, Uri? through = null, Action<VidgateClientOptions>? configure = null)
    {
        var http = new HttpClient { Timeout = TimeSpan.FromMinutes(3) };
        lock (_http)
        {
            _http.Add(http);
        }

        var options = new VidgateClientOptions { BaseUrl = through ?? BaseUrl, ApiKey = key };
        configure?.Invoke(options);
        return new VidgateClient(http, options);
    }

    /// <summary>A new unmetered account and a key for it: the secret.</summary>
    public async Task<string> NewKeyAsync(CancellationToken ct)
    {
        var account = await Admin.CreateAccountAsync(new CreateAccountRequest($"test-{Guid.NewGuid():N}", null, true), ct);
        return (await Admin.CreateKeyAsync(new CreateKeyRequest("test", account.Id), ct)).Key;
    }

    /// <summary>The smallest real video: one second at 480P, 24 frames.</summary>
    public static VideoCreateRequest Small(string prompt = "a calm ocean at sunset, camera slowly moving forward") => new(prompt)
    {
        Seconds = 1,
        AspectRatio = "16:9",
        Resolution = "480P",
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var http in _http)
        {
            http.Dispose();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
            try
            {
                Directory.Delete(_server.DataDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
