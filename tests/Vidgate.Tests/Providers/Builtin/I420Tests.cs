using System.Diagnostics;
using Vidgate.Server.Providers.Builtin;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers.Builtin;

/// <summary>
/// The renderer hands ffmpeg I420 frames it converted itself: they must be what ffmpeg's own bgra → yuv420p conversion
/// would have made (the colours of every video depend on it), and the vector path must equal the plain formula.
/// </summary>
public sealed class I420Tests
{
    [Theory]
    [InlineData(640, 360)]
    [InlineData(34, 6)] // rows and chroma rows that end in a partial vector
    [InlineData(2, 2)]
    public void Every_sample_is_the_bt601_limited_range_formula(int width, int height)
    {
        var random = new Random(TestSeed.Take());
        var stride = (width * 4) + 8; // rows need not be packed
        var bgra = Opaque(random, stride * height);

        var i420 = new byte[I420.Size(width, height)];
        I420.FromBgra(bgra, width, height, stride, i420);

        Assert.Equal(Reference(bgra, width, height, stride), i420);
    }

    [Fact]
    public void An_odd_size_is_refused()
    {
        Assert.Throws<ArgumentException>(() => I420.FromBgra(new byte[12 * 3], 3, 3, 12, new byte[20]));
    }

    [Fact]
    public async Task The_planes_match_ffmpegs_own_conversion()
    {
        const int width = 320;
        const int height = 180;
        var random = new Random(TestSeed.Take());
        // Smooth colour fields with some edges, like a drawn scene (pure noise would test only the chroma filter).
        var bgra = new byte[width * height * 4];
        var (fx, fy, edge) = (random.Next(1, 6), random.Next(1, 6), random.Next(20, width - 20));
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = ((y * width) + x) * 4;
                bgra[i] = (byte)(127 + (127 * Math.Sin(x * fx / 40.0)));
                bgra[i + 1] = (byte)(x < edge ? 40 : 200);
                bgra[i + 2] = (byte)(127 + (127 * Math.Cos(y * fy / 30.0)));
                bgra[i + 3] = 255;
            }
        }
        var ours = new byte[I420.Size(width, height)];
        I420.FromBgra(bgra, width, height, width * 4, ours);

        var theirs = await FfmpegAsync(bgra, width, height);

        Assert.Equal(ours.Length, theirs.Length);
        var luma = width * height;
        var (lumaWorst, chromaWorst, chromaSum) = (0, 0, 0L);
        for (var i = 0; i < ours.Length; i++)
        {
            var difference = Math.Abs(ours[i] - theirs[i]);
            if (i < luma)
            {
                lumaWorst = Math.Max(lumaWorst, difference);
            }
            else
            {
                chromaWorst = Math.Max(chromaWorst, difference);
                chromaSum += difference;
            }
        }
        var chromaMean = chromaSum / (double)(ours.Length - luma);
        Assert.True(lumaWorst <= 1, $"luma differs from ffmpeg's by up to {lumaWorst}");
        Assert.True(chromaMean < 1 && chromaWorst <= 8, $"chroma differs from ffmpeg's by {chromaMean:0.00} on average, up to {chromaWorst}");
    }

    private static byte[] Opaque(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        for (var i = 3; i < length; i += 4)
        {
            bytes[i] = 255;
        }
        return bytes;
    }

    private static byte[] Reference(byte[] bgra, int width, int height, int stride)
    {
        var output = new byte[I420.Size(width, height)];
        int R(int x, int y) => bgra[(y * stride) + (x * 4) + 2];
        int G(int x, int y) => bgra[(y * stride) + (x * 4) + 1];
        int B(int x, int y) => bgra[(y * stride) + (x * 4)];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                output[(y * width) + x] = (byte)((((66 * R(x, y)) + (129 * G(x, y)) + (25 * B(x, y)) + 128) >> 8) + 16);
            }
        }
        var (cw, ch) = (width / 2, height / 2);
        for (var y = 0; y < ch; y++)
        {
            for (var x = 0; x < cw; x++)
            {
                int r = 0, g = 0, b = 0;
                foreach (var (dx, dy) in new[] { (0, 0), (1, 0), (0, 1), (1, 1) })
                {
                    (r, g, b) = (r + R((2 * x) + dx, (2 * y) + dy), g + G((2 * x) + dx, (2 * y) + dy), b + B((2 * x) + dx, (2 * y) + dy));
                }
                output[(width * height) + (y * cw) + x] = (byte)(((-38 * r) - (74 * g) + (112 * b) + 512 >> 10) + 128);
                output[(width * height) + (cw * ch) + (y * cw) + x] = (byte)(((112 * r) - (94 * g) - (18 * b) + 512 >> 10) + 128);
            }
        }
        return output;
    }

    private static async Task<byte[]> FfmpegAsync(byte[] bgra, int width, int height)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-v", "error", "-f", "rawvideo", "-pix_fmt", "bgra", "-s", $"{width}x{height}", "-i", "pipe:0", "-pix_fmt", "yuv420p", "-f", "rawvideo", "pipe:1"])
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = new MemoryStream();
        var reading = process.StandardOutput.BaseStream.CopyToAsync(output);
        var errors = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(bgra);
        process.StandardInput.Close();
        await reading;
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await errors);
        return output.ToArray();
    }
}
