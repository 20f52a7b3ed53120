using System.Diagnostics;

namespace Vidgate.Fakes;

/// <summary>Real media for fakes to serve: a small H.264 MP4 made once per process with ffmpeg.</summary>
public static class FakeMedia
{
    private static readonly Lazy<byte[]> Mp4 = new(() => Make(2));

    /// <summary>A 2 s 320×180 H.264 MP4 (yuv420p, faststart): a real video any player and ffprobe accept.</summary>
    public static byte[] SmallMp4 => Mp4.Value;

    private static byte[] Make(int seconds)
    {
        var path = Path.Combine(Path.GetTempPath(), $"vidgate-fake-{Environment.ProcessId}-{Guid.NewGuid():N}.mp4");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("VIDGATE_FFMPEG") ?? "ffmpeg")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["-hide_banner", "-nostdin", "-v", "error", "-f", "lavfi", "-i", $"testsrc2=size=320x180:rate=24:duration={seconds}",
                     "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-y", path])
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("ffmpeg could not be started");
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException("ffmpeg failed making the fake video: " + error);
        }

        try
        {
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
