using System.Buffers.Binary;
using System.Text;

namespace Vidgate.Server.Providers.Media;

/// <summary>What a file turned out to be.</summary>
/// <param name="Duration">From the MP4 movie header, when present.</param>
internal sealed record VideoFacts(string Container, TimeSpan? Duration);

/// <summary>
/// Checks in-process that a downloaded result really is a video before it is shown as completed: an ISO-BMFF file
/// (MP4/MOV) whose top-level boxes include <c>ftyp</c> and a <c>moov</c> with a video track (<c>hdlr</c> = <c>vide</c>),
/// or a WebM/Matroska file (EBML header). Reading box headers costs microseconds, where an ffprobe process per result
/// would cost tens of milliseconds of CPU; the preview ffmpeg run that follows decodes the frames anyway.
/// </summary>
internal static class VideoCheck
{
    private const int MaxMoovBytes = 64 * 1024 * 1024;

    /// <summary>The facts, or null with the reason when <paramref name="path"/> is not a video.</summary>
    public static async Task<(VideoFacts? Facts, string? Problem)> InspectAsync(string path, CancellationToken ct)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, useAsync: true);
        var head = new byte[12];
        if (await file.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct) < head.Length)
        {
            return (null, "the result is too short to be a video");
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(head) == 0x1A45DFA3)
        {
            return (new VideoFacts("webm", null), null);
        }

        if (Encoding.ASCII.GetString(head, 4, 4) != "ftyp")
        {
            return (null, "the result is not an MP4 or WebM file");
        }

        var position = 0L;
        var header = new byte[16];
        while (position + 8 <= file.Length)
        {
            file.Position = position;
            if (await file.ReadAtLeastAsync(header, 16, throwOnEndOfStream: false, ct) < 8)
            {
                break;
            }

            long size = BinaryPrimitives.ReadUInt32BigEndian(header);
            var type = Encoding.ASCII.GetString(header, 4, 4);
            var headerLength = 8;
            if (size == 1)
            {
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8));
                headerLength = 16;
            }
            else if (size == 0)
            {
                size = file.Length - position;
            }

            if (size < headerLength || position + size > file.Length)
            {
                return (null, $"the MP4 box '{Printable(type)}' at byte {position} is truncated or corrupt");
            }

            if (type == "moov")
            {
                if (size > MaxMoovBytes)
                {
                    return (null, "the MP4 movie header is implausibly large");
                }

                var moov = new byte[size - headerLength];
                file.Position = position + headerLength;
                await file.ReadExactlyAsync(moov, ct);
                return HasVideoTrack(moov)
                    ? (new VideoFacts("mp4", Duration(moov)), null)
                    : (null, "the MP4 file has no video track");
            }

            position += size;
        }

        return (null, "the MP4 file has no movie header (moov)");
    }

    /// <summary>A <c>hdlr</c> box whose handler type is <c>vide</c>: 4 bytes version/flags and 4 pre_defined after the type.</summary>
    private static bool HasVideoTrack(ReadOnlySpan<byte> moov)
    {
        var hdlr = "hdlr"u8;
        for (var at = moov.IndexOf(hdlr); at >= 0 && at + 16 <= moov.Length; at = NextIndex(moov, hdlr, at + 4))
        {
            if (moov.Slice(at + 12, 4).SequenceEqual("vide"u8))
            {
                return true;
            }
        }

        return false;
    }

    private static int NextIndex(ReadOnlySpan<byte> data, ReadOnlySpan<byte> needle, int from)
    {
        if (from >= data.Length)
        {
            return -1;
        }

        var i = data[from..].IndexOf(needle);
        return i < 0 ? -1 : from + i;
    }

    /// <summary>The movie header's duration (<c>mvhd</c>, version 0 or 1).</summary>
    private static TimeSpan? Duration(ReadOnlySpan<byte> moov)
    {
        var at = moov.IndexOf("mvhd"u8);
        if (at < 0 || at + 32 > moov.Length)
        {
            return null;
        }

        var body = moov[(at + 4)..];
        var version = body[0];
        var (timescale, duration) = version == 1 && body.Length >= 32
            ? (BinaryPrimitives.ReadUInt32BigEndian(body[20..]), (double)BinaryPrimitives.ReadUInt64BigEndian(body[24..]))
            : (BinaryPrimitives.ReadUInt32BigEndian(body[12..]), BinaryPrimitives.ReadUInt32BigEndian(body[16..]));
        return timescale > 0 && duration > 0 ? TimeSpan.FromSeconds(duration / timescale) : null;
    }

    private static string Printable(string type) => new([.. type.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '?')]);
}
