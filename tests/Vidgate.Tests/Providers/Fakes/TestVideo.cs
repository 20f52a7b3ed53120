using System.Diagnostics;

namespace Vidgate.Fakes;

/// <summary>A tiny real H.264 MP4 (1 s, 320×180, 24 fps), made with ffmpeg once per test run.</summary>
public static class TestVideo
{
    private static readonly Lazy<byte[]> Bytes = new(Make);

    public static byte[] Mp4 => Bytes.Value;

    private static byte[] Make()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vidgate-fake-{Guid.NewGuid():N}.mp4");
        var start = new ProcessStartInfo("ffmpeg") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in (string[])["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24", "-t", "1",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart", path])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("ffmpeg did not start");
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffmpeg could not make the test video: {stderr}");
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
