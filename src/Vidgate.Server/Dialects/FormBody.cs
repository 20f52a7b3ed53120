using System.Text.Json;
using Microsoft.Extensions.Primitives;

namespace Vidgate.Server.Dialects;

/// <summary>A file part of a multipart body; <see cref="Bytes"/> is null when the part is over the image limit.</summary>
internal sealed record FilePart(string Name, long Length, byte[]? Bytes);

/// <summary>
/// Text fields and file parts of a create body, whichever way they arrived: multipart as sent, JSON flattened the way
/// the OpenAI SDKs flatten it for multipart (<c>input_reference[image_url]</c>), so one parser serves both.
/// </summary>
internal sealed record FormBody(IReadOnlyDictionary<string, StringValues> Fields, IReadOnlyList<FilePart> Files)
{
    public string? Text(string name) => Fields.TryGetValue(name, out var values) && values.Count > 0 ? values[^1] : null;

    /// <summary>Field names (text and files) outside <paramref name="known"/>: reported, never silently dropped.</summary>
    public string? FirstUnknown(IReadOnlySet<string> known) =>
        Fields.Keys.Concat(Files.Select(f => f.Name)).FirstOrDefault(name => !known.Contains(name));

    /// <summary>A text field sent more than once (only file parts may repeat).</summary>
    public string? FirstRepeated(string? except = null) => Fields.FirstOrDefault(f => f.Value.Count > 1 && f.Key != except).Key;

    /// <summary>Flattens a JSON object: strings and numbers become text, one level of objects becomes <c>key[sub]</c>.</summary>
    public static (FormBody? Body, ApiError? Error) FromJson(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, CreateErrors.NotAnObject(root.ValueKind));
        }

        var fields = new Dictionary<string, StringValues>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Object)
            {
                foreach (var inner in property.Value.EnumerateObject())
                {
                    var name = $"{property.Name}[{inner.Name}]";
                    if (Scalar(inner.Value, name, out var text) is { } innerError)
                    {
                        return (null, innerError);
                    }

                    if (text is not null)
                    {
                        fields[name] = text;
                    }
                }

                continue;
            }

            if (Scalar(property.Value, property.Name, out var value) is { } error)
            {
                return (null, error);
            }

            if (value is not null)
            {
                fields[property.Name] = value;
            }
        }

        return (new FormBody(fields, []), null);
    }

    private static ApiError? Scalar(JsonElement value, string name, out string? text)
    {
        text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
        return text is not null || value.ValueKind == JsonValueKind.Null
            ? null
            : CreateErrors.NotAString(name, value.ValueKind);
    }
}
