using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Vidgate.Tests.Support;

/// <summary>
/// The server as a real OS process on loopback (the built Vidgate.Server.dll next to the tests), for what an
/// in-process host cannot show: kill -9, restarts on the same data folder, real Kestrel limits.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private ServerProcess(Process process, Uri baseAddress, string dataDir)
    {
        _process = process;
        BaseAddress = baseAddress;
        DataDir = dataDir;
    }

    public Uri BaseAddress { get; }

    public string DataDir { get; }

    /// <summary>The OS process id; a node's lease-owner name contains it (<c>host:pid:guid</c>).</summary>
    public int ProcessId => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    public static Task<ServerProcess> StartAsync(string dataDir, int? port = null, params string[] args)
        => StartAsync(dataDir, port ?? FreePort(), TimeSpan.FromSeconds(30), args);

    /// <summary>A start that may take up to <paramref name="readyTimeout"/> to answer /readyz (a restart on a loaded machine).</summary>
    public static async Task<ServerProcess> StartAsync(string dataDir, int? port, TimeSpan readyTimeout, string[] args)
    {
        port ??= FreePort();
        var start = StartInfo(dataDir, port.Value, args);
        var process = Process.Start(start)!;
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}"), dataDir);
        process.OutputDataReceived += (_, e) => server.Collect(e.Data);
        process.ErrorDataReceived += (_, e) => server.Collect(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // A long start limit means a loaded machine, where /readyz (a database query, a bucket check) can take over 2 s.
        var probeTimeout = readyTimeout > TimeSpan.FromSeconds(30) ? TimeSpan.FromSeconds(10) : TimeSpan.FromSeconds(2);
        using var probe = new HttpClient { BaseAddress = server.BaseAddress, Timeout = probeTimeout };
        var deadline = DateTime.UtcNow.Add(readyTimeout);
        while (true)
        {
            Assert.False(process.HasExited, "the server exited at start-up:\n" + server.Output);
            try
            {
                if ((await probe.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, "the server did not become ready:\n" + server.Output);
            await Task.Delay(100);
        }
    }

    /// <summary>Runs a server that is expected to stop by itself (a refused start): its exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(string dataDir, TimeSpan timeout, params string[] args)
    {
        using var process = Process.Start(StartInfo(dataDir, FreePort(), args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the server did not stop by itself:\n" + await stdout + await stderr);
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private static ProcessStartInfo StartInfo(string dataDir, int port, string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Vidgate.Server.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["VIDGATE_DATA_DIR"] = dataDir;
        start.Environment["VIDGATE_ADMIN_KEY"] = VidgateApp.AdminKey;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        return start;
    }

    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly like a crash or power cut of the process.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Collect(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
        }
    }
}
