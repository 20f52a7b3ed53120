using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Vidgate.Server.Providers.Builtin;

namespace Vidgate.Tests.Providers.Builtin;

/// <summary>
/// The design's render figure: an 8 s 720p text render against ffmpeg's own x264 encode of testsrc2 at the
/// same size, rate and preset, interleaved in the same run. Opt-in (VIDGATE_BENCH=1): timing is not a unit test.
/// </summary>
public sealed class RenderBenchmark
{
    private const double Goal = 1.5;

    [Fact]
    public async Task Text_render_of_8s_720p_against_testsrc2()
    {
        Assert.SkipUnless(Environment.GetEnvironmentVariable("VIDGATE_BENCH") == "1", "set VIDGATE_BENCH=1 to run");
        var ct = TestContext.Current.CancellationToken;
        var keep = Environment.GetEnvironmentVariable("VIDGATE_BENCH_OUT");
        var root = keep ?? Directory.CreateTempSubdirectory("vidgate-bench-").FullName;
        var options = new BuiltinOptions();
        var runner = new FfmpegRunner(Options.Create(options), NullLogger<FfmpegRunner>.Instance);
        var renderer = new BuiltinRenderer(runner, Options.Create(options), NullLogger<BuiltinRenderer>.Instance, TimeProvider.System);
        string[] prompts = ["a red apple on a table", "golden sunset over the ocean, pan left", "city at night, orbit", "snowy forest, static"];
        var output = TestContext.Current.TestOutputHelper!;

        var baseline = new List<double>();
        var renders = new List<double>();
        for (var round = 0; round < 3; round++)
        {
            var clock = Stopwatch.StartNew();
            await runner.RunAsync(
                ["-y", "-f", "lavfi", "-i", $"testsrc2=size=1280x720:rate=24", "-t", "8", "-c:v", "libx264",
                 "-preset", options.Preset, "-pix_fmt", "yuv420p", Path.Combine(root, "baseline.mp4")], null, ct);
            baseline.Add(clock.Elapsed.TotalSeconds);
            foreach (var (prompt, i) in prompts.Select((p, i) => (p, i)))
            {
                var work = Directory.CreateDirectory(Path.Combine(root, $"p{i}")).FullName;
                clock.Restart();
                await renderer.RenderAsync(new RenderJob("bench", prompt, 1280, 720, 8, [], work), _ => { }, ct);
                renders.Add(clock.Elapsed.TotalSeconds);
                output.WriteLine($"round {round} '{prompt}': {renders[^1]:0.000} s (baseline {baseline[^1]:0.000} s)");
            }
        }

        var b = Median(baseline);
        var r = Median(renders);
        var ratio = r / b;
        output.WriteLine($"bench render: text_8s_720p_seconds {r:0.000} (baseline {b:0.000}, ratio {ratio:0.00}, goal {Goal:0.0}) {(ratio <= Goal ? "ok" : "MISS")}");
        if (keep is null)
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
