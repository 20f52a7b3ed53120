using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Vidgate.Server.Providers.Builtin;

namespace Vidgate.Tests.Providers.Builtin;

/// <summary>
/// The warm-up at start renders one tiny clip through the real path (drawing, the pipe, ffmpeg's x264), so the first
/// user's render finds everything loaded; it cleans up after itself and never stops a server from starting. ffmpeg is the
/// real one, behind a wrapper script that only writes down each command line.
/// </summary>
public sealed class BuiltinWarmUpTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vidgate-warmup-test-").FullName;

    private string Calls => Path.Combine(_dir, "calls.txt");

    [Fact]
    public async Task It_encodes_one_tiny_clip_with_x264_and_removes_its_folder()
    {
        await RunAsync(Wrapper(), workers: true);

        var calls = File.Exists(Calls) ? File.ReadAllLines(Calls) : [];
        var call = Assert.Single(calls);
        var args = call.Split('\t');
        Assert.Equal("0", args[0]);
        Assert.Contains("libx264", args);
        Assert.Contains(args, a => a.StartsWith("scale=64:36", StringComparison.Ordinal));
        var video = args[^1];
        Assert.EndsWith(BuiltinRenderer.VideoFile, video, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.GetDirectoryName(video)), $"the warm-up left {Path.GetDirectoryName(video)} behind");
    }

    [Fact]
    public async Task Without_ffmpeg_it_ends_quietly()
    {
        // RunAsync asserts the service ended without an exception: one escaping ExecuteAsync would stop the host.
        await RunAsync(Path.Combine(_dir, "no-such-ffmpeg"), workers: true);

        Assert.False(File.Exists(Calls));
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task A_node_without_workers_or_with_the_warm_up_off_starts_no_ffmpeg(bool workers, bool warmUp)
    {
        await RunAsync(Wrapper(), workers, warmUp);

        Assert.False(File.Exists(Calls), "ffmpeg was started");
    }

    private async Task RunAsync(string ffmpegPath, bool workers, bool warmUp = true)
    {
        var options = Options.Create(new BuiltinOptions { FfmpegPath = ffmpegPath, WarmUp = warmUp });
        var renderer = new BuiltinRenderer(
            new FfmpegRunner(options, NullLogger<FfmpegRunner>.Instance), options, NullLogger<BuiltinRenderer>.Instance, TimeProvider.System);
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Vidgate:Workers"] = workers ? "true" : "false" })
            .Build();
        using var warm = new BuiltinWarmUp(renderer, options, configuration, NullLogger<BuiltinWarmUp>.Instance);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        await warm.StartAsync(timeout.Token);
        await warm.ExecuteTask!.WaitAsync(timeout.Token);

        Assert.True(warm.ExecuteTask.IsCompletedSuccessfully);
    }

    // The real ffmpeg, with each run's exit code and arguments (tab-separated) appended to calls.txt.
    private string Wrapper()
    {
        var path = Path.Combine(_dir, "ffmpeg");
        File.WriteAllText(path,
            "#!/bin/sh\n/usr/bin/ffmpeg \"$@\"\ns=$?\n"
            + $"{{ printf '%s' \"$s\"; for a in \"$@\"; do printf '\\t%s' \"$a\"; done; printf '\\n'; }} >>'{Calls}'\nexit $s\n");
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the ffmpeg wrapper is a POSIX shell script");
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
