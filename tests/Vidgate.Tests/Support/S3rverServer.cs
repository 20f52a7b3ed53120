using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Vidgate.Tests.Support;

/// <summary>
/// A real S3-compatible server (npm <c>s3rver</c>, installed into tests/services by <c>./vidgate test</c>) on a free
/// loopback port with a temp data folder and one bucket; killed and removed on dispose. Missing software fails the test
/// saying what to run: nothing that CI needs may skip.
/// </summary>
public sealed partial class S3rverServer : IAsyncDisposable
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private readonly Process _process;
    private readonly string _directory;
    private readonly List<string> _log = [];

    private S3rverServer(Process process, string directory, string url, string bucket)
    {
        _process = process;
        _directory = directory;
        Url = url;
        Bucket = bucket;
    }

    public string Url { get; }

    /// <summary>What s3rver has logged so far (one line per request it served, e.g. "Stored part 2 of …").</summary>
    public IReadOnlyList<string> Log
    {
        get
        {
            lock (_log)
            {
                return [.. _log];
            }
        }
    }

    public string Bucket { get; }

    /// <summary>Where s3rver keeps the bucket's objects on disk (each object's bytes are in a <c>._S3rver_object</c> file).</summary>
    public string Directory => _directory;

    /// <summary>The settings that point a Vidgate app at this bucket.</summary>
    public Dictionary<string, string?> Settings(bool redirectDownloads = false, long? partSize = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Vidgate:Storage:Provider"] = "s3",
            ["Vidgate:Storage:S3:ServiceUrl"] = Url,
            ["Vidgate:Storage:S3:Bucket"] = Bucket,
            ["Vidgate:Storage:S3:AccessKey"] = AccessKey,
            ["Vidgate:Storage:S3:SecretKey"] = SecretKey,
            ["Vidgate:Storage:S3:ForcePathStyle"] = "true",
            ["Vidgate:Storage:S3:RedirectDownloads"] = redirectDownloads ? "true" : "false",
        };
        if (partSize is { } size)
        {
            settings["Vidgate:Storage:S3:PartSizeBytes"] = size.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return settings;
    }

    public static async Task<S3rverServer> StartAsync(string bucket = "vidgate-test")
    {
        var script = Path.Combine(Repo.Root, "tests", "services", "node_modules", "s3rver", "bin", "s3rver.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"s3rver is not installed at {script}: run `npm ci` in tests/services (./vidgate test does).");
        }

        var directory = System.IO.Directory.CreateTempSubdirectory("vidgate-s3rver-").FullName;
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // s3rver makes a truncated listing's continuation token with DES, which OpenSSL 3 (Node 17+) only has in its
        // legacy provider: without it any listing with more objects than max-keys answers 500.
        foreach (var arg in new[] { "--openssl-legacy-provider", script, "--directory", directory, "--address", "127.0.0.1", "--port", "0", "--configure-bucket", bucket })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("node could not be started (apt-get install nodejs).");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (Listening().Match(line) is { Success: true } match)
                {
                    var server = new S3rverServer(process, directory, $"http://127.0.0.1:{match.Groups[1].Value}", bucket);
                    _ = server.CollectAsync(process.StandardOutput);
                    _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
                    return server;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        process.Kill(entireProcessTree: true);
        var error = await process.StandardError.ReadToEndAsync(CancellationToken.None);
        throw new InvalidOperationException("s3rver did not start: " + error);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task CollectAsync(StreamReader output)
    {
        while (await output.ReadLineAsync(CancellationToken.None) is { } line)
        {
            lock (_log)
            {
                _log.Add(line);
            }
        }
    }


    [GeneratedRegex(@"listening on [^:]+:(\d+)")]
    private static partial Regex Listening();
}
