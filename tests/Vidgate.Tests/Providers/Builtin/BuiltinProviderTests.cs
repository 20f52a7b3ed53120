using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Builtin;
using Vidgate.Server.Tasks;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers.Builtin;

/// <summary>
/// The builtin renderer through the one provider seam: a local job is done inside the submit and reported through the
/// same closed outcomes as a remote one. Real ffmpeg; clips of 1 s at 240p except where a render must still be running.
/// </summary>
public sealed class BuiltinProviderTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("vidgate-builtin-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string WorkRoot => Path.Combine(_data, "work");

    [Fact]
    public async Task A_submit_renders_on_this_node_and_answers_Finished_with_exact_files_and_rising_progress()
    {
        var progress = new List<int>();
        var provider = Provider();

        var result = await provider.SubmitAsync(Job(Task(426, 240, 1)) with { OnProgress = p => { lock (progress) { progress.Add(p); } } }, Ct);

        var finished = Assert.IsType<UpstreamSubmit.Finished>(result);
        var probe = await Ffprobe.ProbeAsync(finished.Artifact.VideoPath, Ct);
        Assert.Equal((426, 240, 24), (probe.Width, probe.Height, probe.Frames));
        Assert.True(File.Exists(finished.Artifact.ThumbnailPath));
        Assert.True(File.Exists(finished.Artifact.SpritesheetPath));
        Assert.StartsWith(WorkRoot, finished.Artifact.WorkFolder, StringComparison.Ordinal);
        Assert.NotEmpty(progress);
        Assert.Equal(progress.Order(), progress);
        Assert.All(progress, p => Assert.InRange(p, 0, 99));
    }

    [Fact]
    public async Task Reference_images_are_handed_over_as_bytes_and_rendered()
    {
        var png = await File.ReadAllBytesAsync(await MakePngAsync(), Ct);
        var provider = Provider();

        var result = await provider.SubmitAsync(Job(Task(426, 240, 1), new UpstreamImage(png, "image/png")), Ct);

        var finished = Assert.IsType<UpstreamSubmit.Finished>(result);
        Assert.Equal(24, (await Ffprobe.ProbeAsync(finished.Artifact.VideoPath, Ct)).Frames);
    }

    [Fact]
    public async Task A_render_ffmpeg_cannot_do_is_a_rejected_submit_and_leaves_no_work_folder()
    {
        var provider = Provider(new BuiltinOptions { FfmpegPath = "/nonexistent/ffmpeg" });

        var result = await provider.SubmitAsync(Job(Task(426, 240, 1)), Ct);

        var rejected = Assert.IsType<UpstreamSubmit.Rejected>(result);
        Assert.Equal("render_failed", rejected.Code);
        Assert.Empty(Directory.Exists(WorkRoot) ? Directory.EnumerateFileSystemEntries(WorkRoot) : []);
    }

    [Fact]
    public async Task Cancelling_the_submit_stops_the_render_at_once_and_removes_its_work_folder()
    {
        var provider = Provider();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var started = new TaskCompletionSource();

        var submit = provider.SubmitAsync(Job(Task(1280, 720, 15)) with { OnProgress = _ => started.TrySetResult() }, cts.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        var cancelledAt = System.Diagnostics.Stopwatch.StartNew();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => submit);
        Assert.True(cancelledAt.Elapsed < TimeSpan.FromSeconds(5), $"the render took {cancelledAt.Elapsed} to stop");
        Assert.Empty(Directory.EnumerateFileSystemEntries(WorkRoot));
    }

    [Fact]
    public async Task Readiness_names_a_missing_ffmpeg_and_passes_with_a_real_one()
    {
        Assert.Null(await Provider().CheckAsync(Ct));

        var problem = await Provider(new BuiltinOptions { FfmpegPath = "/nonexistent/ffmpeg" }).CheckAsync(Ct);

        Assert.Contains("ffmpeg not found at '/nonexistent/ffmpeg'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task It_describes_itself_as_the_builtin_instance_with_its_concurrency_and_never_tracks_a_job()
    {
        var provider = Provider(new BuiltinOptions { Concurrency = 3 });

        Assert.Equal(("builtin", "builtin", 3), (provider.Settings.Id, provider.Settings.Type, provider.Settings.MaxConcurrentJobs));
        var seam = (IVideoProvider)provider;
        Assert.False(seam.SupportsIdempotencyKey);
        Assert.IsType<UpstreamPoll.Failed>(await seam.PollAsync(new UpstreamHandle("builtin", "x", 0, "", null), Ct));
        Assert.IsType<UpstreamLookup.Unsupported>(await seam.FindAsync("video_x", "", Ct));
    }

    private BuiltinProvider Provider(BuiltinOptions? options = null)
    {
        options ??= new BuiltinOptions();
        var ffmpeg = new FfmpegRunner(Options.Create(options), NullLogger<FfmpegRunner>.Instance);
        var renderer = new BuiltinRenderer(ffmpeg, Options.Create(options), NullLogger<BuiltinRenderer>.Instance, TimeProvider.System);
        return new BuiltinProvider(renderer, ffmpeg, Options.Create(options), Options.Create(new VidgateOptions { DataDir = _data }));
    }

    private static UpstreamJob Job(VideoTask task, params UpstreamImage[] images) => new(task, images, task.Model, "", task.Id);

    private static VideoTask Task(int width, int height, int seconds) => new()
    {
        Id = VideoTask.NewId(),
        AccountId = "acct_a",
        KeyId = "key_a",
        Dialect = Dialect.Seed,
        Model = "grok-imagine-video",
        Prompt = "a quiet forest at dawn",
        Seconds = seconds,
        Width = width,
        Height = height,
        AspectRatio = "16:9",
        Resolution = $"{height}P",
        Provider = BuiltinProvider.Id,
        CreatedAt = DateTimeOffset.UnixEpoch,
        InputKeys = [],
    };

    private async Task<string> MakePngAsync()
    {
        var path = Path.Combine(_data, "input.png");
        var start = new System.Diagnostics.ProcessStartInfo("ffmpeg") { RedirectStandardError = true };
        foreach (var arg in (string[])["-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=320x240", "-frames:v", "1", path])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        await process.WaitForExitAsync(Ct);
        Assert.Equal(0, process.ExitCode);
        return path;
    }
}
