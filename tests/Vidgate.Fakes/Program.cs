using System.Globalization;
using System.Runtime.InteropServices;

namespace Vidgate.Fakes;

/// <summary><c>dotnet Vidgate.Fakes.dll &lt;fake&gt; [--port N] [options]</c>: runs one fake upstream until killed (bench/run.sh).</summary>
public static class FakesMain
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0)
        {
            await Console.Error.WriteLineAsync("usage: Vidgate.Fakes xai|openai|comfyui|veo|kling|minimax|dashscope|ark|vidu|runway|luma|fal|replicate|vertex [--port N] [--min-seconds S] [--max-seconds S] [--fault-rate P] [--poll-fault-rate P] [--key K]");
            return 2;
        }

        var port = Option(args, "--port") is { } p ? int.Parse(p, CultureInfo.InvariantCulture) : 0;

        // Each fake is one line here (the OpenAI-compatible and ComfyUI fakes add theirs).
        (IAsyncDisposable Fake, Uri Url) running = args[0] switch
        {
            "xai" => await FakeXaiUpstream.StartAsync(FakeXaiUpstream.OptionsFromArgs(args), port) is var xai ? (xai, xai.BaseUrl) : default,
            "openai" => await FakeOpenAiUpstream.StartAsync(Option(args, "--key") ?? "sk-fake-upstream-key", port: port) is var openAi
                ? (openAi.WithDurations(Seconds(args, "--min-seconds", 2), Seconds(args, "--max-seconds", 8)), openAi.BaseUrl) : default,
            "comfyui" => await FakeComfyUi.StartAsync(port: port) is var comfy ? (comfy.WithDuration(Seconds(args, "--max-seconds", 8)), comfy.BaseUrl) : default,
            "veo" => await FakeVeo.StartAsync(VendorOptions(args, "AIza-fake-veo-key"), port) is var veo ? (veo, veo.BaseUrl) : default,
            "kling" => await FakeKling.StartAsync(VendorOptions(args, "ak-fake|sk-fake"), port) is var kling ? (kling, kling.BaseUrl) : default,
            "minimax" => await FakeMinimax.StartAsync(VendorOptions(args, "fake-minimax-key"), port) is var minimax ? (minimax, minimax.BaseUrl) : default,
            "dashscope" => await FakeDashScope.StartAsync(VendorOptions(args, "sk-fake-dashscope"), port) is var dashscope ? (dashscope, dashscope.BaseUrl) : default,
            "ark" => await FakeArk.StartAsync(VendorOptions(args, "fake-ark-key"), port) is var ark ? (ark, ark.BaseUrl) : default,
            "vidu" => await FakeVidu.StartAsync(VendorOptions(args, "vda-fake-vidu-key"), port) is var vidu ? (vidu, vidu.BaseUrl) : default,
            "runway" => await FakeRunway.StartAsync(VendorOptions(args, "key_" + new string('0', 128)), port) is var runway ? (runway, runway.BaseUrl) : default,
            "luma" => await FakeLuma.StartAsync(VendorOptions(args, "luma-fake-key"), port) is var luma ? (luma, luma.BaseUrl) : default,
            "fal" => await FakeFal.StartAsync(VendorOptions(args, "fal-fake-id:fal-fake-secret"), port) is var fal ? (fal, fal.BaseUrl) : default,
            "replicate" => await FakeReplicate.StartAsync(VendorOptions(args, "r8_fake-replicate-token"), port) is var rep ? (rep, rep.BaseUrl) : default,

            // The key's token_uri must name the fake: give --port (and --key with the JSON key the server is given).
            "vertex" => await FakeVertex.StartAsync(VendorOptions(args, FakeVertex.NewKey(new Uri($"http://127.0.0.1:{port}/token"))), port) is var vx ? (vx, vx.BaseUrl) : default,
            _ => throw new ArgumentException($"unknown fake '{args[0]}'"),
        };
        await using var fake = running.Fake;
        Console.WriteLine($"listening {running.Url}");
        using var stop = new CancellationTokenSource();

        // The fake's own host also listens for these (and swallows them to stop itself), so stop here too.
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Stopped by a signal.
        }

        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    private static FakeVendorOptions VendorOptions(string[] args, string key)
        => new()
        {
            ApiKey = Option(args, "--key") ?? key,
            JobLength = Seconds(args, "--max-seconds", 8),
            MinJobLength = Option(args, "--min-seconds") is null ? null : Seconds(args, "--min-seconds", 8),
        };

    private static TimeSpan Seconds(string[] args, string name, double fallback) =>
        TimeSpan.FromSeconds(Option(args, name) is { } s ? double.Parse(s, CultureInfo.InvariantCulture) : fallback);

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
