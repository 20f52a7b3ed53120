namespace Vidgate.Client;

/// <summary>How reference images travel in a create.</summary>
public enum ImageUpload
{
    /// <summary>Inline as <c>data:</c> URIs in the seed's JSON body (<c>images</c>): works for every model. The default.</summary>
    DataUri,

    /// <summary>
    /// As <c>multipart/form-data</c> file parts (<c>input_reference</c>, repeatable), the reseller dialect of the
    /// <c>grok-video-*</c> models: about 25 % smaller than base64 on the wire. Only for those models.
    /// </summary>
    Multipart,
}

/// <summary>What to generate. Fields left null take the model's defaults on the server.</summary>
/// <param name="Prompt">What the video shows.</param>
public sealed record VideoCreateRequest(string Prompt)
{
    /// <summary>The model id (see <see cref="VidgateClient.ListModelsAsync"/>); null = <see cref="VidgateClientOptions.DefaultModel"/>.</summary>
    public string? Model { get; init; }

    /// <summary>Length in seconds; null = the model's default.</summary>
    public int? Seconds { get; init; }

    /// <summary>Aspect ratio such as <c>16:9</c>, <c>9:16</c>, <c>1:1</c>.</summary>
    public string? AspectRatio { get; init; }

    /// <summary>Resolution such as <c>480P</c> or <c>720P</c>.</summary>
    public string? Resolution { get; init; }

    /// <summary>Reference images (first frame / style), in order.</summary>
    public IReadOnlyList<VideoImage> Images { get; init; } = [];

    /// <summary>How the images are sent; <see cref="ImageUpload.DataUri"/> unless you choose multipart.</summary>
    public ImageUpload Upload { get; init; } = ImageUpload.DataUri;

    /// <summary>
    /// The <c>Idempotency-Key</c>: the same key (within a day) always answers with the same video, so a retried create
    /// never makes two. Null = a new GUID per call, reused across this call's own retries.
    /// </summary>
    public string? IdempotencyKey { get; init; }
}

/// <summary>One reference image: its bytes and media type (PNG, JPEG or WebP).</summary>
public sealed record VideoImage(ReadOnlyMemory<byte> Bytes, string ContentType, string FileName = "image")
{
    /// <summary>Reads a file; the media type comes from its first bytes, else from its extension.</summary>
    public static async Task<VideoImage> FromFileAsync(string path, CancellationToken ct = default)
    {
        var bytes = await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
        return new VideoImage(bytes, Sniff(bytes) ?? ByExtension(path), Path.GetFileName(path));
    }

    /// <summary>Reads a stream to its end; <paramref name="contentType"/> null = sniffed from the bytes.</summary>
    public static async Task<VideoImage> FromStreamAsync(Stream stream, string? contentType = null, string fileName = "image", CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, ct).ConfigureAwait(false);
        var bytes = buffer.ToArray();
        return new VideoImage(bytes, contentType ?? Sniff(bytes) ?? "application/octet-stream", fileName);
    }

    /// <summary>The image as a <c>data:</c> URI.</summary>
    public string ToDataUri() => $"data:{ContentType};base64,{Convert.ToBase64String(Bytes.Span)}";

    private static string? Sniff(ReadOnlySpan<byte> b) =>
        b.Length > 4 && b[0] == 0x89 && b[1..4].SequenceEqual("PNG"u8) ? "image/png"
        : b.Length > 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF ? "image/jpeg"
        : b.Length > 12 && b[..4].SequenceEqual("RIFF"u8) && b[8..12].SequenceEqual("WEBP"u8) ? "image/webp"
        : null;

    private static string ByExtension(string path) => Path.GetExtension(path).ToUpperInvariant() switch
    {
        ".PNG" => "image/png",
        ".JPG" or ".JPEG" => "image/jpeg",
        ".WEBP" => "image/webp",
        _ => "application/octet-stream",
    };
}
