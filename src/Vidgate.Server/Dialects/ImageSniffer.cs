using System.Buffers.Binary;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Dialects;

/// <summary>
/// Tells PNG, JPEG and WebP apart by their bytes (never by the declared type) and reads their pixel size from the
/// header, so garbage with the right first bytes is refused at the door instead of failing the render later.
/// </summary>
internal static class ImageSniffer
{
    private const int MaxSide = 16384;

    public static (ImageKind Kind, int Width, int Height)? Sniff(ReadOnlySpan<byte> data)
    {
        var result = data switch
        {
            [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Png(data),
            [0xFF, 0xD8, 0xFF, ..] => Jpeg(data),
            [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => Webp(data),
            _ => null,
        };
        return result is { Width: > 0 and <= MaxSide, Height: > 0 and <= MaxSide } ? result : null;
    }

    private static (ImageKind Kind, int Width, int Height)? Png(ReadOnlySpan<byte> d)
    {
        // Signature, then the IHDR chunk: length(4) "IHDR" width(4) height(4).
        if (d.Length < 33 || !d.Slice(12, 4).SequenceEqual("IHDR"u8))
        {
            return null;
        }

        return (ImageKind.Png, (int)BinaryPrimitives.ReadUInt32BigEndian(d[16..]), (int)BinaryPrimitives.ReadUInt32BigEndian(d[20..]));
    }

    private static (ImageKind Kind, int Width, int Height)? Jpeg(ReadOnlySpan<byte> d)
    {
        // Walk the marker segments to the first start-of-frame (SOF0..SOF15, not DHT/JPG/DAC).
        var i = 2;
        while (i + 9 < d.Length)
        {
            if (d[i] != 0xFF)
            {
                return null;
            }

            var marker = d[i + 1];
            if (marker == 0xFF)
            {
                i++;
                continue;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(d[(i + 2)..]);
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                return (ImageKind.Jpeg, BinaryPrimitives.ReadUInt16BigEndian(d[(i + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(d[(i + 5)..]));
            }

            if (length < 2)
            {
                return null;
            }

            i += 2 + length;
        }

        return null;
    }

    /// <summary>An extended WebP with the animation flag (VP8X flags bit 1): ffmpeg's decoder cannot read those.</summary>
    public static bool IsAnimatedWebp(ReadOnlySpan<byte> d) =>
        d.Length >= 21 && d[..4].SequenceEqual("RIFF"u8) && d.Slice(8, 4).SequenceEqual("WEBP"u8) && d.Slice(12, 4).SequenceEqual("VP8X"u8)
        && (d[20] & 0x02) != 0;

    private static (ImageKind Kind, int Width, int Height)? Webp(ReadOnlySpan<byte> d)
    {
        if (d.Length < 30)
        {
            return null;
        }

        var chunk = d.Slice(12, 4);
        if (chunk.SequenceEqual("VP8 "u8) && d[23] == 0x9D && d[24] == 0x01 && d[25] == 0x2A)
        {
            return (ImageKind.Webp, BinaryPrimitives.ReadUInt16LittleEndian(d[26..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(d[28..]) & 0x3FFF);
        }

        if (chunk.SequenceEqual("VP8L"u8) && d[20] == 0x2F)
        {
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(d[21..]);
            return (ImageKind.Webp, (int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
        }

        if (chunk.SequenceEqual("VP8X"u8))
        {
            var width = 1 + (d[24] | (d[25] << 8) | (d[26] << 16));
            var height = 1 + (d[27] | (d[28] << 8) | (d[29] << 16));
            return (ImageKind.Webp, width, height);
        }

        return null;
    }
}
