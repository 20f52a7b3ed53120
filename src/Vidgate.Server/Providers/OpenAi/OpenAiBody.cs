using System.Globalization;
using System.Text.Json;

namespace Vidgate.Server.Providers.OpenAi;

/// <summary>
/// Reads the loose JSON bodies that OpenAI-shaped upstreams return. Gateways disagree on types (progress as 30, 30.5 or
/// <c>"30%"</c>; seconds as <c>"8"</c> or 8; the job wrapped in <c>data</c>), so every read is tolerant and none throws.
/// </summary>
internal static class OpenAiBody
{
    /// <summary>The job object: the root, or new-api's <c>{"code":…, "data":{…}}</c> envelope's <c>data</c>.</summary>
    public static JsonElement Job(JsonElement root) =>
        !root.TryGetProperty("status", out _) && root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object ? data : root;

    public static string? String(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        } : null;

    /// <summary>Progress 0..100 from an int, a float or a string like <c>"30%"</c>; null when absent or unreadable.</summary>
    public static int? Progress(JsonElement job)
    {
        if (job.ValueKind != JsonValueKind.Object || !job.TryGetProperty("progress", out var value))
        {
            return null;
        }

        double? number = value.ValueKind switch
        {
            JsonValueKind.Number => value.GetDouble(),
            JsonValueKind.String when double.TryParse(value.GetString()!.Trim().TrimEnd('%').Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => null,
        };
        return number is { } n && double.IsFinite(n) ? (int)Math.Clamp(Math.Floor(n), 0, 100) : null;
    }

    /// <summary>The real length in whole seconds when the upstream says it (<c>seconds</c> or <c>duration</c>).</summary>
    public static int? Seconds(JsonElement job)
    {
        foreach (var name in (string[])["seconds", "duration"])
        {
            if (String(job, name) is { } text && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                && seconds is > 0 and < 100_000)
            {
                return (int)Math.Round(seconds);
            }
        }

        return null;
    }

    /// <summary>A result URL where resellers put one: <c>video_url</c>, <c>url</c>, <c>output.url</c>, <c>metadata.url</c>.</summary>
    public static Uri? ResultUrl(JsonElement job)
    {
        string?[] candidates =
        [
            String(job, "video_url"),
            String(job, "url"),
            job.TryGetProperty("output", out var output) ? String(output, "url") : null,
            job.TryGetProperty("metadata", out var metadata) ? String(metadata, "url") : null,
        ];
        foreach (var candidate in candidates)
        {
            if (Uri.TryCreate(candidate, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp))
            {
                return url;
            }
        }

        return null;
    }

    /// <summary><c>error.code</c> and <c>error.message</c>, also when <c>error</c> is a bare string (some gateways) or empty (resellers send it on success).</summary>
    public static (string? Code, string? Message) Error(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("error", out var error))
        {
            return (null, String(body, "message") is { Length: > 0 } m ? m : null);
        }

        return error.ValueKind switch
        {
            JsonValueKind.String => (null, NullIfEmpty(error.GetString())),
            JsonValueKind.Object => (NullIfEmpty(String(error, "code")), NullIfEmpty(String(error, "message"))),
            _ => (null, null),
        };
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
