using System.Text;
using System.Text.Json;

namespace Vidgate.Server.Providers.Http;

/// <summary>
/// Reads what an upstream answered as JSON without ever throwing on what it contains: too big, not JSON, not UTF-8,
/// or strings that cannot be decoded (lone surrogate escapes) all come back as "no JSON", never as an exception.
/// </summary>
internal static class TolerantJson
{
    /// <summary>Status answers and errors are a few KB; a body past this is not one (an HTML error page, a runaway proxy).</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>The body as text (at most <paramref name="maxBytes"/>, invalid UTF-8 replaced) and as JSON when it is.</summary>
    public static async Task<(string Text, JsonElement? Json)> ReadAsync(HttpContent content, int maxBytes, CancellationToken ct)
    {
        if (content.Headers.ContentLength > maxBytes)
        {
            return ("", null);
        }

        await using var stream = await content.ReadAsStreamAsync(ct);
        var buffer = new byte[Math.Min(maxBytes + 1, 16 * 1024)];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length > maxBytes)
                {
                    return ("", null);
                }

                Array.Resize(ref buffer, Math.Min(maxBytes + 1, buffer.Length * 2));
            }

            var read = await stream.ReadAsync(buffer.AsMemory(length), ct);
            if (read == 0)
            {
                break;
            }

            length += read;
        }

        if (length > maxBytes)
        {
            return ("", null);
        }

        var text = Encoding.UTF8.GetString(buffer, 0, length);
        return (text, Parse(text));
    }

    /// <summary>The document's root (cloned) when <paramref name="text"/> is JSON whose every string and name decodes; otherwise null.</summary>
    public static JsonElement? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text.TrimStart('\uFEFF'));
            return Decodes(document.RootElement) ? document.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// True when every string value and property name can be read: <see cref="JsonDocument"/> accepts <c>"\ud800"</c> and
    /// only <c>GetString()</c> throws, so a provider reading a field of such a document would fail with a 500-style bug.
    /// </summary>
    private static bool Decodes(JsonElement element)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    _ = element.GetString();
                    return true;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        _ = property.Name;
                        if (!Decodes(property.Value))
                        {
                            return false;
                        }
                    }

                    return true;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        if (!Decodes(item))
                        {
                            return false;
                        }
                    }

                    return true;
                default:
                    return true;
            }
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
