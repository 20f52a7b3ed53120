using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Vidgate.Tests.Support;

/// <summary>
/// The real server in-process: a temp data folder (real SQLite file, real blob folder), the real builtin renderer
/// (real ffmpeg), a known admin key. Pass a <see cref="FakeTimeProvider"/> to drive time; share a data folder between
/// two instances to test restarts.
/// </summary>
public sealed class VidgateApp : WebApplicationFactory<Program>
{
    public const string AdminKey = "vg_test_admin_key";
    private readonly bool _ownsDirectory;
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    /// <param name="services">Test-only replacements (e.g. a scripted provider), applied after the app's own.</param>
    public VidgateApp(
        string? dataDir = null, FakeTimeProvider? clock = null, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        _ownsDirectory = dataDir is null;
        DataDir = dataDir ?? Directory.CreateTempSubdirectory("vidgate-test-").FullName;
        Clock = clock;
        _settings = settings ?? [];
        _services = services;
    }

    public string DataDir { get; }

    public FakeTimeProvider? Clock { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Vidgate:DataDir", DataDir);
        builder.UseSetting("Vidgate:AdminKey", AdminKey);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Vidgate", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.Hosting.Lifetime", "Warning");
        // Progress written every 100 ms, so tests that act mid-render see it even when a render takes under 2 s.
        builder.UseSetting("Vidgate:ProgressInterval", "00:00:00.100");
        // The start-up warm-up renders a clip through ffmpeg: worth it for a user's first render, not for every test host
        // (BuiltinWarmUpTests covers it).
        builder.UseSetting("Providers:Builtin:WarmUp", "false");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (Clock is not null)
        {
            builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
        }

        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
    }

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    public HttpClient Client(string? key)
    {
        var client = CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    public HttpClient Admin() => Client(AdminKey);

    /// <summary>
    /// Creates a user key through the admin API (a new account on the default tier) and tops its account up by
    /// <paramref name="topUp"/> micro-units (default 1000.00), so tests about videos are never about money.
    /// </summary>
    public async Task<HttpClient> NewUserAsync(string name = "user", long topUp = 1000_000_000)
    {
        var (key, accountId) = await NewKeyAsync(name);
        if (topUp > 0)
        {
            await TopUpAsync(accountId, topUp);
        }

        return Client(key);
    }

    /// <summary>A new user key and its account id, as <c>POST /admin/keys</c> made them.</summary>
    public async Task<(string Key, string AccountId)> NewKeyAsync(string name = "user", object? body = null)
    {
        using var admin = Admin();
        var response = await admin.PostAsJsonAsync("/admin/keys", body ?? new { name }, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        var created = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        return (created.GetProperty("key").GetString()!, created.GetProperty("account_id").GetString()!);
    }

    public async Task TopUpAsync(string accountId, long micros, string reason = "test top-up")
    {
        using var admin = Admin();
        var response = await admin.PostAsJsonAsync($"/admin/accounts/{accountId}/top-up", new { amount_micros = micros, reason }, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
        if (_ownsDirectory)
        {
            try
            {
                Directory.Delete(DataDir, recursive: true);
            }
            catch (IOException)
            {
                // A render may still be finishing its last write; the temp folder is cleaned by the OS.
            }
        }
    }
}
