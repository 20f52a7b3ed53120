using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>
/// Opaque BGRA → I420 (ffmpeg's <c>yuv420p</c>: a full-size Y plane, then U and V at half width and height), with the
/// BT.601 limited-range matrix that ffmpeg's own <c>bgra</c> → <c>yuv420p</c> conversion uses, each chroma sample the
/// mean of its 2×2 pixels. Done here, on the drawing threads, because the frames then reach ffmpeg at 1.5 bytes a pixel
/// instead of 4 and ffmpeg only scales planes: measured on a render's 192 frames, 0.10–0.15 s less of ffmpeg's CPU
/// (which shares the two cores with x264) for about 0.03 s of ours (docs/preview-renderer.md, "fourth round").
/// </summary>
internal static class I420
{
    /// <summary>Bytes of an I420 frame of this (even) size.</summary>
    public static int Size(int width, int height) => (width * height) + (2 * (width / 2) * (height / 2));

    /// <summary>Converts <paramref name="bgra"/> (rows of <paramref name="stride"/> bytes) into <paramref name="i420"/>.</summary>
    /// <remarks>
    /// Optimised at its first call: vector code is not precompiled (ReadyToRun targets a baseline CPU), and unoptimised
    /// it costs ten times as much, which a server's first render would pay (192 calls never reach the tier-up count).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FromBgra(ReadOnlySpan<byte> bgra, int width, int height, int stride, Span<byte> i420)
    {
        if (width % 2 != 0 || height % 2 != 0)
        {
            throw new ArgumentException($"I420 needs an even size, not {width}x{height}");
        }
        var chromaWidth = width / 2;
        var y = i420[..(width * height)];
        var u = i420.Slice(width * height, chromaWidth * (height / 2));
        var v = i420.Slice((width * height) + (chromaWidth * (height / 2)), chromaWidth * (height / 2));
        for (var row = 0; row < height; row += 2)
        {
            var top = bgra.Slice(row * stride, width * 4);
            var bottom = bgra.Slice((row + 1) * stride, width * 4);
            Luma(top, y.Slice(row * width, width));
            Luma(bottom, y.Slice((row + 1) * width, width));
            Chroma(top, bottom, u.Slice(row / 2 * chromaWidth, chromaWidth), v.Slice(row / 2 * chromaWidth, chromaWidth));
        }
    }

    // Y = ((66 R + 129 G + 25 B + 128) >> 8) + 16
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Luma(ReadOnlySpan<byte> pixels, Span<byte> luma)
    {
        var x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; x + 8 <= luma.Length; x += 8)
            {
                var (r, g, b) = Channels(pixels.Slice(x * 4, 32));
                var value = ((r * 66) + (g * 129) + (b * 25) + Vector256.Create(128)) >> 8;
                BinaryPrimitives.WriteUInt64LittleEndian(luma[x..], Bytes(value + Vector256.Create(16)));
            }
        }
        for (; x < luma.Length; x++)
        {
            var (r, g, b) = (pixels[(x * 4) + 2], pixels[(x * 4) + 1], pixels[x * 4]);
            luma[x] = (byte)((((66 * r) + (129 * g) + (25 * b) + 128) >> 8) + 16);
        }
    }

    // From the sums of the 2×2 block: U = ((-38 R - 74 G + 112 B + 512) >> 10) + 128, V = ((112 R - 94 G - 18 B + 512) >> 10) + 128
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Chroma(ReadOnlySpan<byte> top, ReadOnlySpan<byte> bottom, Span<byte> u, Span<byte> v)
    {
        var x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; x + 8 <= u.Length; x += 8)
            {
                // 16 pixels of each row: column sums of both rows, then the sums of neighbouring columns.
                var (r0, g0, b0) = Channels(top.Slice(x * 8, 32));
                var (r1, g1, b1) = Channels(bottom.Slice(x * 8, 32));
                var (r2, g2, b2) = Channels(top.Slice((x * 8) + 32, 32));
                var (r3, g3, b3) = Channels(bottom.Slice((x * 8) + 32, 32));
                var r = Pairs(r0 + r1, r2 + r3);
                var g = Pairs(g0 + g1, g2 + g3);
                var b = Pairs(b0 + b1, b2 + b3);
                var half = Vector256.Create(512);
                var mid = Vector256.Create(128);
                BinaryPrimitives.WriteUInt64LittleEndian(u[x..], Bytes((((r * -38) - (g * 74) + (b * 112) + half) >> 10) + mid));
                BinaryPrimitives.WriteUInt64LittleEndian(v[x..], Bytes((((r * 112) - (g * 94) - (b * 18) + half) >> 10) + mid));
            }
        }
        for (; x < u.Length; x++)
        {
            int r = 0, g = 0, b = 0;
            for (var i = x * 8; i < (x * 8) + 8; i += 4)
            {
                (r, g, b) = (r + top[i + 2] + bottom[i + 2], g + top[i + 1] + bottom[i + 1], b + top[i] + bottom[i]);
            }
            u[x] = (byte)(((-38 * r) - (74 * g) + (112 * b) + 512 >> 10) + 128);
            v[x] = (byte)(((112 * r) - (94 * g) - (18 * b) + 512 >> 10) + 128);
        }
    }

    // Eight BGRA pixels as eight lanes of red, green and blue.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<int> R, Vector256<int> G, Vector256<int> B) Channels(ReadOnlySpan<byte> pixels)
    {
        var packed = Vector256.Create(pixels).AsInt32();
        var mask = Vector256.Create(0xFF);
        return ((packed >> 16) & mask, (packed >> 8) & mask, packed & mask);
    }

    // [a0+a1, a2+a3, a4+a5, a6+a7, b0+b1, b2+b3, b4+b5, b6+b7]: each pair of lanes read as one 64-bit lane.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Pairs(Vector256<int> a, Vector256<int> b)
    {
        var low = Vector256.Create(0xFFFF_FFFFL);
        var left = (a.AsInt64() & low) + (a.AsInt64() >>> 32);
        var right = (b.AsInt64() & low) + (b.AsInt64() >>> 32);
        return Vector256.Narrow(left, right);
    }

    // Eight lanes of 0..255 as eight bytes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Bytes(Vector256<int> lanes)
    {
        var shorts = Vector256.Narrow(lanes.AsUInt32(), Vector256<uint>.Zero);
        return Vector256.Narrow(shorts, Vector256<ushort>.Zero).AsUInt64().GetElement(0);
    }
}
