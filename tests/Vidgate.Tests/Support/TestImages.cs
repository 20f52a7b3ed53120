using System.Diagnostics;

namespace Vidgate.Tests.Support;

/// <summary>Real PNG, JPEG and WebP files made by ffmpeg once per test run, as bytes and data URIs.</summary>
public static class TestImages
{
    private static readonly Dictionary<string, byte[]> Cache = [];
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static async Task<byte[]> BytesAsync(string format, int width = 320, int height = 240, string source = "testsrc2")
    {
        var name = $"{format}-{width}x{height}-{source}";
        await Gate.WaitAsync();
        try
        {
            if (Cache.TryGetValue(name, out var cached))
            {
                return cached;
            }

            var path = Path.Combine(Path.GetTempPath(), $"vidgate-img-{Guid.NewGuid():N}.{format}");
            var start = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in new[] { "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", $"{source}=size={width}x{height}:rate=1", "-frames:v", "1", path })
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            var stderr = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, "ffmpeg could not make a test image: " + stderr);
            var bytes = await File.ReadAllBytesAsync(path);
            File.Delete(path);
            Cache[name] = bytes;
            return bytes;
        }
        finally
        {
            Gate.Release();
        }
    }

    public static async Task<string> DataUriAsync(string format = "png", int width = 320, int height = 240, string source = "testsrc2")
    {
        var mime = format switch { "jpg" => "image/jpeg", "webp" => "image/webp", _ => "image/png" };
        return $"data:{mime};base64,{Convert.ToBase64String(await BytesAsync(format, width, height, source))}";
    }
}
