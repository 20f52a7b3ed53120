using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;

namespace Vidgate.Server.Dashboard;

/// <summary>
/// The dashboard's files (<c>Dashboard/Assets</c>), embedded in the server assembly: no build step, no CDN, nothing on
/// disk to lose. Each has a strong ETag (its SHA-256); the shell page links them with <c>?v=</c> the hash of them all,
/// so a versioned URL can be cached for a year and a new release is fetched at once.
/// </summary>
internal sealed class DashboardAssets
{
    private const string Prefix = "Vidgate.Dashboard.";

    public DashboardAssets()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var files = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var name = resource[Prefix.Length..];
            files[name] = new Asset(buffer.ToArray(), TypeOf(name), ETag(buffer.ToArray()));
        }

        Version = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(",", files.Values.Select(f => f.ETag)))))[..12];
        var shell = Encoding.UTF8.GetString(files["index.html"].Bytes).Replace("{{v}}", Version, StringComparison.Ordinal);
        Shell = new Asset(Encoding.UTF8.GetBytes(shell), "text/html; charset=utf-8", ETag(Encoding.UTF8.GetBytes(shell)));
        Files = files.Where(f => f.Key != "index.html").ToFrozenDictionary(StringComparer.Ordinal);
    }

    public string Version { get; }

    public Asset Shell { get; }

    public FrozenDictionary<string, Asset> Files { get; }

    private static string ETag(byte[] bytes) => "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..32] + "\"";

    private static string TypeOf(string name) => Path.GetExtension(name) switch
    {
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".html" => "text/html; charset=utf-8",
        ".json" => "application/json",
        _ => "application/octet-stream",
    };
}

internal sealed record Asset(byte[] Bytes, string ContentType, string ETag)
{
    /// <summary>The bytes, or 304 when the browser already has them.</summary>
    public IResult Serve(HttpContext http, string cacheControl)
    {
        http.Response.Headers.ETag = ETag;
        http.Response.Headers.CacheControl = cacheControl;
        return http.Request.Headers.IfNoneMatch.ToString() == ETag
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Bytes(Bytes, ContentType);
    }
}
