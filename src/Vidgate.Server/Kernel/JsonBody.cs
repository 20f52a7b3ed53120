using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;

namespace Vidgate.Server.Kernel;

/// <summary>
/// The one reader of JSON request bodies, public and admin. <see cref="JsonDocument"/> accepts raw invalid UTF-8 and
/// <c>\ud800</c> escapes inside strings and only throws (a 500) when the string is read; this reader refuses both up
/// front as a 400 <c>invalid_json</c> naming the field, so every string of an accepted document decodes and no
/// <c>GetString()</c> or <c>JsonProperty.Name</c> downstream can throw.
/// </summary>
internal static class JsonBody
{
    private static ReadOnlySpan<byte> Bom => [0xEF, 0xBB, 0xBF];

    public static async Task<(JsonDocument? Document, ApiError? Error)> ReadAsync(
        HttpRequest request, CancellationToken ct, JsonDocumentOptions options = default)
    {
        // The document keeps referencing this array (not pooled, never reused), so it outlives the stream safely.
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        return Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), options);
    }

    /// <summary>An admin body as <typeparamref name="T"/>: read by <see cref="ReadAsync"/>, then bound; null is refused.</summary>
    public static async Task<(T? Body, ApiError? Error)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, CancellationToken ct)
        where T : class
    {
        var (document, error) = await ReadAsync(request, ct, new JsonDocumentOptions
        {
            AllowTrailingCommas = type.Options.AllowTrailingCommas,
            CommentHandling = type.Options.ReadCommentHandling,
            MaxDepth = type.Options.MaxDepth,
        });
        if (error is not null)
        {
            return (null, error);
        }

        using (document)
        {
            try
            {
                return document!.Deserialize(type) is { } body
                    ? (body, null)
                    : (null, ApiError.Invalid("body", "Send a JSON object.", "invalid_json"));
            }
            catch (JsonException ex)
            {
                return (null, ApiError.Invalid("body", "The body is not valid JSON for this route: " + ex.Message, "invalid_json"));
            }
        }
    }

    public static (JsonDocument? Document, ApiError? Error) Parse(ReadOnlyMemory<byte> utf8, JsonDocumentOptions options = default)
    {
        // JsonDocument.ParseAsync(stream) skipped a UTF-8 byte order mark; parsing from memory does not.
        if (utf8.Span.StartsWith(Bom))
        {
            utf8 = utf8[Bom.Length..];
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, options);
        }
        catch (JsonException ex)
        {
            return (null, ApiError.Invalid("body", $"The body is not valid JSON: {ex.Message}", "invalid_json"));
        }

        // One vectorised scan of the whole body is the guarantee for raw bytes (the parser already refused bad bytes
        // outside strings); only when it fails does the walk look at each string's bytes, to name the field. The walk always
        // looks for lone-surrogate escapes, which are valid bytes.
        var validBytes = Utf8.IsValid(utf8.Span);
        var problem = Undecodable(document.RootElement, checkBytes: !validBytes) ?? (validBytes ? null : new Problem("body", Reason.BadUtf8));
        if (problem is not { } bad)
        {
            return (document, null);
        }

        document.Dispose();
        return (null, ApiError.Invalid(bad.Path, bad.Reason == Reason.BadUtf8
            ? $"'{bad.Path}' holds bytes that are not valid UTF-8; send the body as UTF-8 text."
            : $"'{bad.Path}' holds a \\u escape of half a UTF-16 surrogate pair, which is not text; send valid Unicode.", "invalid_json"));
    }

    private enum Reason
    {
        BadUtf8,
        LoneSurrogate,
    }

    private readonly record struct Problem(string Path, Reason Reason);

    /// <summary>
    /// The first string (value or property name) that would not decode, with the top-level field it sits under. Raw
    /// bytes are checked only when <paramref name="checkBytes"/> (the whole body failed the scan); only strings that
    /// contain a backslash are decoded, so a large data URI costs no copy.
    /// </summary>
    private static Problem? Undecodable(JsonElement element, bool checkBytes, string path = "body")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                var raw = JsonMarshal.GetRawUtf8Value(element);
                return BadBytes(raw, checkBytes) ? new Problem(path, Reason.BadUtf8)
                    : raw.Contains((byte)'\\') && !Decodes(element) ? new Problem(path, Reason.LoneSurrogate) : null;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (Undecodable(item, checkBytes, path) is { } bad)
                    {
                        return bad;
                    }
                }

                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var name = JsonMarshal.GetRawUtf8PropertyName(property);
                    if (BadBytes(name, checkBytes))
                    {
                        return new Problem(path, Reason.BadUtf8);
                    }

                    if (name.Contains((byte)'\\') && !Decodes(property))
                    {
                        return new Problem(path, Reason.LoneSurrogate);
                    }

                    if (Undecodable(property.Value, checkBytes, path == "body" ? property.Name : path) is { } bad)
                    {
                        return bad;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static bool BadBytes(ReadOnlySpan<byte> raw, bool checkBytes) => checkBytes && !Utf8.IsValid(raw);

    // An escape of half a surrogate pair ("\ud800") is valid JSON and valid bytes, but no string: decoding throws.
    private static bool Decodes(JsonElement element)
    {
        try
        {
            _ = element.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool Decodes(JsonProperty property)
    {
        try
        {
            _ = property.Name;
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
