using System.Net;
using System.Net.Http.Headers;

namespace Vidgate.Client;

/// <summary>What to download of a completed video.</summary>
public enum VideoVariant
{
    /// <summary>The MP4.</summary>
    Video,

    /// <summary>A WebP still from the middle of the clip.</summary>
    Thumbnail,

    /// <summary>A JPEG grid of frames across the clip.</summary>
    Spritesheet,
}

public sealed partial class VidgateClient
{
    /// <summary>
    /// Writes a completed video's file to <paramref name="destination"/> and returns the bytes written. If the connection
    /// drops mid-body the download resumes where it stopped (<c>Range: bytes=N-</c> with <c>If-Range</c> on the first
    /// answer's ETag), so the bytes are never repeated or mixed from two versions; if the file changed meanwhile, a
    /// seekable destination is rewritten from the start and any other fails with <c>content_changed</c>.
    /// </summary>
    public async Task<long> DownloadAsync(string id, Stream destination, VideoVariant variant = VideoVariant.Video, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var path = $"v1/videos/{Escape(id)}/content" + Query(("variant", variant.ToString().ToLowerInvariant()));
        var start = destination.CanSeek ? destination.Position : 0;
        long written = 0;
        long? total = null;
        EntityTagHeaderValue? etag = null;
        DateTimeOffset? lastModified = null;
        var resumes = 0;
        while (true)
        {
            var resuming = written > 0;
            using var response = await SendAsync(HttpMethod.Get, path, null, retry: true, HttpCompletionOption.ResponseHeadersRead, ct, r =>
            {
                if (!resuming)
                {
                    return;
                }

                r.Headers.Range = new RangeHeaderValue(written, null);
                // If-Range: a changed file answers 200 with the whole new file instead of the rest of the old one.
                if (etag is { IsWeak: false })
                {
                    r.Headers.IfRange = new RangeConditionHeaderValue(etag);
                }
                else if (lastModified is { } modified)
                {
                    r.Headers.IfRange = new RangeConditionHeaderValue(modified);
                }
            }).ConfigureAwait(false);
            await EnsureSuccessAsync(response, ct).ConfigureAwait(false);

            if (resuming && !IsContinuation(response, written))
            {
                if (!destination.CanSeek || response.StatusCode != HttpStatusCode.OK)
                {
                    throw new VidgateException(
                        (int)response.StatusCode, "invalid_response", "content_changed", null,
                        $"The content of '{id}' changed while it was being downloaded; {written} bytes were already written.");
                }

                // A fresh 200: the file changed (or the server ignores ranges). Start again from the top.
                destination.Position = start;
                destination.SetLength(start);
                written = 0;
            }

            if (!resuming || written == 0)
            {
                etag = response.Headers.ETag;
                lastModified = response.Content.Headers.LastModified;
                total = response.Content.Headers.ContentLength;
            }

            // Only a failure to read is a dropped connection worth resuming; a failure to write (a full disk) is the caller's.
            Exception? broke = null;
            var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                var buffer = new byte[81920];
                while (true)
                {
                    int read;
                    try
                    {
                        read = await body.ReadAsync(buffer, ct).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is IOException or HttpRequestException && !ct.IsCancellationRequested)
                    {
                        broke = e;
                        break;
                    }

                    if (read == 0)
                    {
                        break;
                    }

                    await destination.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                    written += read;
                }
            }

            if (broke is not null)
            {
                if (++resumes > _options.MaxDownloadResumes || written == 0)
                {
                    throw VidgateException.Connection($"The download of '{id}' broke off after {written} bytes", broke);
                }

                continue;
            }

            if (total is { } expected && written != expected)
            {
                // The body ended early without an error (a proxy closing cleanly): resume as for a dropped connection.
                if (written < expected && ++resumes <= _options.MaxDownloadResumes)
                {
                    continue;
                }

                throw new VidgateException(0, VidgateException.ConnectionError, "incomplete_download", null,
                    $"The download of '{id}' ended at {written} of {expected} bytes.");
            }

            await destination.FlushAsync(ct).ConfigureAwait(false);
            return written;
        }
    }

    /// <summary>
    /// Downloads to a file: written to <c>path.part</c> and renamed when complete, so <paramref name="path"/> never holds
    /// half a video. Returns the bytes written.
    /// </summary>
    public async Task<long> DownloadToFileAsync(string id, string path, VideoVariant variant = VideoVariant.Video, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var partial = path + ".part";
        long written;
        var file = new FileStream(partial, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, useAsync: true);
        await using (file.ConfigureAwait(false))
        {
            try
            {
                written = await DownloadAsync(id, file, variant, ct).ConfigureAwait(false);
            }
            catch
            {
                await file.DisposeAsync().ConfigureAwait(false);
                File.Delete(partial);
                throw;
            }
        }

        File.Move(partial, path, overwrite: true);
        return written;
    }

    /// <summary>A 206 whose range starts exactly where the bytes so far end.</summary>
    private static bool IsContinuation(HttpResponseMessage response, long written)
        => response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange is { From: { } from } && from == written;
}
