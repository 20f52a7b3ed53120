using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Vidgate.Tests.Support;

/// <summary>
/// The built server as a separate process on a free loopback port (Kestrel, real sockets), for clients that must talk
/// to a real server rather than a TestServer: the OpenAI .NET SDK. Temp data folder; stopped by its own pid.
/// </summary>
public sealed partial class VidgateProcess : IAsyncDisposable
{
    private const string AdminKey = "vg_process_admin_key";
    private readonly Process _process;
    private readonly string _dataDir;

    private VidgateProcess(Process process, string dataDir, Uri baseUrl)
    {
        _process = process;
        _dataDir = dataDir;
        BaseUrl = baseUrl;
    }

    /// <summary>e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseUrl { get; }

    public static async Task<VidgateProcess> StartAsync()
    {
        var dataDir = Directory.CreateTempSubdirectory("vidgate-process-").FullName;
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["VIDGATE_DATA_DIR"] = dataDir,
                ["VIDGATE_ADMIN_KEY"] = AdminKey,
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
            },
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Vidgate.Server.dll"), "--urls", "http://127.0.0.1:0" })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("the server did not start");
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void OnLine(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue(e.Data);
            if (ListeningOn().Match(e.Data) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value + "/"));
            }
        }

        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("the server exited: " + string.Join('\n', output)));

        try
        {
            var url = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            return new VidgateProcess(process, dataDir, url);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    /// <summary>A new user key from the admin API.</summary>
    public async Task<string> NewUserKeyAsync(string name = "process-user")
    {
        using var admin = new HttpClient { BaseAddress = BaseUrl };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        var response = await admin.PostAsJsonAsync("admin/keys", new { name }, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        return body.GetProperty("key").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // The OS cleans temp folders; a late write must not fail the test.
        }
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOn();
}
