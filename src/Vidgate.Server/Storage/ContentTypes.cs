namespace Vidgate.Server.Storage;

/// <summary>The MIME type a stored object is served with, from its key's extension (our keys only).</summary>
internal static class ContentTypes
{
    public static string Of(string key) => Path.GetExtension(key).ToLowerInvariant() switch
    {
        ".mp4" => "video/mp4",
        ".webp" => "image/webp",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".png" => "image/png",
        _ => "application/octet-stream",
    };
}
