namespace Vidgate.Server.Providers.Http;

/// <summary>The image types upstreams take, and the file extension that goes with each (for multipart file names).</summary>
internal static class MediaTypes
{
    public const string Png = "image/png";
    public const string Jpeg = "image/jpeg";
    public const string Webp = "image/webp";

    /// <summary>Extension without the dot; PNG for anything unknown (images reaching a provider were sniffed already).</summary>
    public static string Extension(string mediaType) => mediaType.ToLowerInvariant() switch
    {
        Jpeg or "image/jpg" => "jpg",
        Webp => "webp",
        _ => "png",
    };

    /// <summary>The media type of a file name or extension (with or without the dot); JPEG for anything unknown.</summary>
    public static string FromExtension(string extensionOrPath) => Path.GetExtension(extensionOrPath.Contains('.', StringComparison.Ordinal) ? extensionOrPath : "." + extensionOrPath).ToLowerInvariant() switch
    {
        ".png" => Png,
        ".webp" => Webp,
        _ => Jpeg,
    };
}
