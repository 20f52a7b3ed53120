using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Vidgate.Tests.Support;

/// <summary>What ffprobe says about the first video stream; <see cref="Frames"/> is counted by decoding.</summary>
public sealed record VideoProbe(
    string CodecName, int Width, int Height, int Frames, double DurationSeconds, string PixelFormat, double FrameRate);

/// <summary>Runs the real ffprobe (<c>-count_frames</c>, JSON output) on a file or on bytes.</summary>
public static class Ffprobe
{
    public static async Task<VideoProbe> ProbeAsync(byte[] bytes, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var path = Path.Combine(Path.GetTempPath(), $"vidgate-probe-{Guid.NewGuid():N}.mp4");
        await File.WriteAllBytesAsync(path, bytes, ct);
        try
        {
            return await ProbeAsync(path, ct);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static async Task<VideoProbe> ProbeAsync(string path, CancellationToken ct = default)
    {
        var start = new ProcessStartInfo("ffprobe")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        foreach (var arg in (string[])["-v", "error", "-count_frames", "-select_streams", "v:0",
            "-show_entries", "stream=codec_name,width,height,nb_read_frames,pix_fmt,avg_frame_rate,r_frame_rate:format=duration",
            "-of", "json", path])
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("ffprobe did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffprobe failed ({process.ExitCode}) on {path}: {await stderr}");
        }

        using var json = JsonDocument.Parse(await stdout);
        var streams = json.RootElement.GetProperty("streams");
        if (streams.GetArrayLength() == 0)
        {
            throw new InvalidOperationException($"{path} has no video stream");
        }
        var stream = streams[0];
        var duration = json.RootElement.TryGetProperty("format", out var format)
            && format.TryGetProperty("duration", out var d)
            ? double.Parse(d.GetString()!, CultureInfo.InvariantCulture)
            : 0;
        var rate = stream.TryGetProperty("avg_frame_rate", out var avg) && Rate(avg.GetString()) is > 0 and var a
            ? a
            : Rate(stream.GetProperty("r_frame_rate").GetString());
        return new VideoProbe(
            stream.GetProperty("codec_name").GetString()!,
            stream.GetProperty("width").GetInt32(),
            stream.GetProperty("height").GetInt32(),
            int.Parse(stream.GetProperty("nb_read_frames").GetString()!, CultureInfo.InvariantCulture),
            duration,
            stream.GetProperty("pix_fmt").GetString()!,
            rate);
    }

    // ffprobe writes rates as "24/1" (or "0/0" when unknown).
    private static double Rate(string? fraction)
    {
        var parts = (fraction ?? "0/0").Split('/');
        var numerator = double.Parse(parts[0], CultureInfo.InvariantCulture);
        var denominator = parts.Length > 1 ? double.Parse(parts[1], CultureInfo.InvariantCulture) : 1;
        return denominator == 0 ? 0 : numerator / denominator;
    }
}
