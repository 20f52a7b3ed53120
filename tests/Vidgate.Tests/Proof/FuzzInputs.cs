using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Vidgate.Tests.Hosting;

namespace Vidgate.Tests.Proof;

/// <summary>
/// The fuzzer's generators: one request is a route, an id (real or hostile) in its path, a query, headers and a body,
/// each drawn from a seeded <see cref="Random"/>. The valid bodies are MalformedInputTests' samples (one place says what a
/// route accepts); everything else here is what a hostile or broken client sends.
/// </summary>
internal static class FuzzInputs
{
    internal const string Png1x1 = MalformedInputTests.Png1x1;

    private static readonly byte[] PngBytes = Convert.FromBase64String(Png1x1[(Png1x1.IndexOf(',', StringComparison.Ordinal) + 1)..]);

    /// <summary>Values a JSON field is replaced with (as text, so numbers and escapes stay exactly as written).</summary>
    private static readonly string[] JsonValues =
    [
        "null", "true", "false", "0", "-0", "-1", "1.5", "1e308", "-1e308", "1e999999", "9223372036854775807", "-9223372036854775808",
        "18446744073709551616", "1" + new string('0', 400), "0.0000000000000000000001", "\"\"", "\" \"", "\"-1\"", "\"1e400\"", "\"NaN\"",
        "\"Infinity\"", "\"\\u0000\"", "\"a\\u0000b\"", "\"\\ud800\"", "\"\\udfff\\ud800\"", "[]", "{}", "[null]", "[[[[]]]]", "[1,\"2\",null]",
        "{\"url\":null}", "{\"url\":{}}", "\"data:image/png;base64,!!!\"", "\"data:image/png;base64,\"", "\"data:;base64,AAAA\"",
        "\"data:image/png,notbase64\"", "\"data:image/svg+xml;base64,PHN2Zy8+\"", "\"http://169.254.169.254/latest/meta-data\"",
        "\"file:///etc/passwd\"", "\"../../etc/passwd\"", "\"video_x\"", "\"🙂\"", "\"\\u202e\"", "\"720P\\n\"",
    ];

    /// <summary>Data URIs whose declared type lies about the bytes (or whose bytes are not an image at all).</summary>
    private static readonly string[] LyingImages =
    [
        "data:image/png;base64," + Convert.ToBase64String("GIF89a\u0001\u0000\u0001\u0000"u8.ToArray()),
        "data:image/jpeg;base64," + Convert.ToBase64String(PngBytes),
        "data:image/png;base64," + Convert.ToBase64String("<svg xmlns='http://www.w3.org/2000/svg'/>"u8.ToArray()),
        "data:image/png;base64," + Convert.ToBase64String(PngBytes[..20]),
        "data:image/webp;base64," + Convert.ToBase64String("RIFF\u0000\u0000\u0000\u0000WEBPVP8 "u8.ToArray()),
        "data:image/png;base64," + Convert.ToBase64String([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10]),
        "data:text/html;base64," + Convert.ToBase64String("<script>alert(1)</script>"u8.ToArray()),
        "data:image/png;base64," + Convert.ToBase64String(PngBytes).Replace('A', '*'),
        "data:image/png;base64," + new string('A', 4096),
    ];

    private static readonly byte[][] BadUtf8 =
    [
        [0xFF], [0xFE], [0xC0, 0xAF], [0x80], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0x00],
    ];

    private static readonly byte[][] Boms = [[0xEF, 0xBB, 0xBF], [0xFF, 0xFE], [0xFE, 0xFF], [0xFF, 0xFE, 0x00, 0x00]];

    private static readonly string[] ContentTypes =
    [
        "application/json", "application/json; charset=utf-8", "application/json; charset=utf-16", "application/json; charset=utf-7",
        "application/json; charset=nonsense", "application/json; charset=\"", "application/json;;;", "application/json; charset=",
        "text/plain", "application/x-www-form-urlencoded", "*/*", "application/", "/", "", "application/json; charset=utf-32",
        "multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"unterminated",
        "multipart/form-data; boundary=" + new string('b', 200), "application/vnd.api+json", "APPLICATION/JSON", "application/json\u00e9",
    ];

    private static readonly string[] Ranges =
    [
        "bytes=", "bytes=-", "bytes=5-1", "bytes=abc", "bytes=0-0", "bytes=-0", "bytes=0-", "bytes=-1", "bytes=99999999999999999999-",
        "bytes=-99999999999999999999", "bytes=18446744073709551615-", "bytes=9223372036854775807-", "items=0-1", "bytes=0-1;",
        "bytes= 1 - 2", "bytes=0-1,2-3,4-5", "bytes=1-1,1-1,1-1", "bytes=0-1,-1", "bytes==0-1", "bytes=0x10-0x20", "bytes=1.5-2",
        "bytes=-9223372036854775808", "bytes=\u00e90-1", "bytes=" + string.Join(',', Enumerable.Range(0, 2000).Select(i => $"{i}-{i}")),
        "bytes=0-1, bytes=2-3", ",", "bytes",
    ];

    private static readonly string[] IfRanges =
    [
        "\"x\"", "W/\"x\"", "garbage", "Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "\"", "*", new string('"', 500),
    ];

    private static readonly string[] IdempotencyKeys =
    [
        "", " ", "fuzz-fixed", "fuzz-fixed", "ключ-🙂", "a\tb", new string('k', 10_000), "\u00ff\u00fe", "k\u0000",
    ];

    private static readonly string[] Waits = ["", "abc", "-1", "0", "0.5", "1", "61", "1e309", "NaN", "Infinity", "0.0000001", "1,5", "%00", "99999999999999999999", "1&wait=2"];

    private static readonly string[] Segments =
    [
        "%2e%2e", "..", "%00", "%ff", "%", "%zz", "%C0%AF", "a%2Fb", "%25", new string('x', 5000), "ключ", "%F0%9F%99%82", "video_" + new string('0', 31),
        "-1", "0", "99999999999999999999", " ", "%20", "a;b=c", "{id}", "*",
    ];

    private static readonly string[] QueryJunk =
    [
        "%", "%zz", "%C0%AF", "a=%00", "limit=-1", "limit=0", "limit=101", "limit=1&limit=2", "after=%ff", "after=" + new string('z', 3000),
        "order=sideways", "order=", "variant=thumbnail", "variant=spritesheet", "variant=../../x", "expires=-5&signature=%%",
        "expires=99999999999999999999&signature=x", "signature=", "from=notadate", "group_by=nothing", "format=xml", "&&&", "=&=",
        "a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1", "q=" + new string('q', 9000), "cursor[]=1", "limit=1e2",
    ];

    public sealed record Route(string Method, string Template);

    /// <summary>What the fuzzer substitutes into paths and headers: ids of objects that exist, and the keys.</summary>
    public sealed record Ids(
        string UserKey, string AdminKey, string CompletedTask, string VictimTask, string Account, string TargetAccount, string TargetKeyId,
        string Webhook, string Provider);

    public static string Path(Route route, Ids ids, Random random)
    {
        var id = route.Template.StartsWith("/v1/videos/", StringComparison.Ordinal)
            ? route.Method is "GET" or "HEAD" || route.Template.EndsWith("/remix", StringComparison.Ordinal) ? ids.CompletedTask : ids.VictimTask
            : route.Template.StartsWith("/admin/keys", StringComparison.Ordinal) ? ids.TargetKeyId
            : route.Template.StartsWith("/admin/accounts", StringComparison.Ordinal) ? (random.Next(2) == 0 ? ids.Account : ids.TargetAccount)
            : route.Template.StartsWith("/admin/tiers", StringComparison.Ordinal) ? "fuzz"
            : route.Template.StartsWith("/admin/providers", StringComparison.Ordinal) ? ids.Provider
            : ids.Webhook;
        var hostile = random.Next(5) == 0;
        var path = route.Template
            .Replace("{id}", hostile ? Pick(random, Segments) : id, StringComparison.Ordinal)
            .Replace("{wid}", hostile ? Pick(random, Segments) : ids.Webhook, StringComparison.Ordinal)
            .Replace("{did}", hostile ? Pick(random, Segments) : "whd_" + random.Next(), StringComparison.Ordinal)
            .Replace("{model}", hostile ? Pick(random, Segments) : "grok-imagine-video", StringComparison.Ordinal)
            .Replace("{resolution}", random.Next(4) == 0 ? Pick(random, Segments) : "720", StringComparison.Ordinal);
        if (random.Next(25) == 0)
        {
            path = random.Next(3) switch
            {
                0 => path + "/",
                1 => path.Replace("/", "//", StringComparison.Ordinal),
                _ => path + "/" + Pick(random, Segments),
            };
        }

        return path + Query(route, random);
    }

    private static string Query(Route route, Random random)
    {
        var parts = new List<string>();
        if (route.Template == "/v1/videos/{id}" && route.Method == "GET" && random.Next(3) == 0)
        {
            parts.Add("wait=" + Pick(random, Waits));
        }

        if (random.Next(3) == 0)
        {
            for (var i = random.Next(1, 4); i > 0; i--)
            {
                parts.Add(Pick(random, QueryJunk));
            }
        }

        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    public static List<(string Name, string Value)> Headers(Route route, Ids ids, Random random)
    {
        var admin = route.Template.StartsWith("/admin", StringComparison.Ordinal) || route.Template is "/metrics";
        var key = admin ? ids.AdminKey : ids.UserKey;
        var headers = new List<(string, string)>();
        switch (random.Next(30))
        {
            case 0: break;
            case 1: headers.Add(("Authorization", "Bearer " + Pick(random, ["", "vg_nope", new string('k', 5000), "ключ", key + "\u00ff"]))); break;
            case 2: headers.Add(("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(key + ":")))); break;
            case 3: headers.Add(("Authorization", "Bearer " + key)); headers.Add(("Authorization", "Bearer vg_other")); break;
            case 4: headers.Add(("Authorization", "bearer  " + key)); break;
            default: headers.Add(("Authorization", "Bearer " + key)); break;
        }

        var odd = random.Next(3) == 0 ? random.Next(1, 4) : 0;
        for (var i = 0; i < odd; i++)
        {
            headers.Add(random.Next(12) switch
            {
                0 => ("Range", Pick(random, Ranges)),
                1 => ("If-Range", Pick(random, IfRanges)),
                2 => ("Idempotency-Key", Pick(random, IdempotencyKeys)),
                3 => ("X-Fuzz-" + random.Next(1000), new string('h', random.Next(2) == 0 ? 100 : 40_000)),
                4 => ("Accept", Pick(random, ["*/*", "text/event-stream", "application/xml", "\u00e9/\u00e9", "", ";q=x"])),
                5 => ("If-None-Match", Pick(random, IfRanges)),
                6 => ("If-Modified-Since", Pick(random, IfRanges)),
                7 => ("Accept-Encoding", Pick(random, ["gzip", "br;q=abc", "identity;q=0", "*;q=0", "x"])),
                8 => ("X-Forwarded-For", Pick(random, ["1.2.3.4", "garbage", "::1, 10.0.0.1", new string('1', 3000)])),
                9 => ("Last-Event-ID", Pick(random, ["", "-1", "99999999999999999999", "abc"])),
                10 => ("Expect", Pick(random, ["100-continue", "garbage"])),
                _ => ("X-Non-Ascii", "\u00e9\u00ff\u0080 caf\u00e9"),
            });
        }

        if (random.Next(40) == 0)
        {
            for (var i = 0; i < 150; i++)
            {
                headers.Add(("X-Many", i.ToString(CultureInfo.InvariantCulture)));
            }
        }

        return headers;
    }

    /// <summary>A body for the route, and the Content-Type to send with it (null: none).</summary>
    public static (string? ContentType, byte[] Body) Body(Route route, Random random)
    {
        var takesBody = route.Method is "POST" or "PUT" or "PATCH";
        if (!takesBody)
        {
            return random.Next(10) == 0 ? ("application/json", "{\"junk\":true}"u8.ToArray()) : (null, []);
        }

        MalformedInputTests.Samples.TryGetValue($"{route.Method} {route.Template}", out var samples);
        var multipart = route.Method == "POST" && route.Template is "/v1/videos" or "/v1/videos/{id}/remix" && random.Next(3) == 0;
        if (multipart)
        {
            return Multipart(random);
        }

        var sample = samples is { Length: > 0 } ? Pick(random, samples) : "{\"prompt\":\"x\"}";
        var contentType = random.Next(6) == 0 ? Pick(random, ContentTypes) : "application/json";
        return random.Next(12) switch
        {
            0 => (contentType, Encoding.UTF8.GetBytes(sample)),
            1 => (contentType, Encoding.UTF8.GetBytes(sample)[..random.Next(Math.Max(1, sample.Length))]),
            2 => (contentType, Splice(sample, random, Pick(random, JsonValues))),
            3 => (contentType, Splice(sample, random, "\"" + Pick(random, LyingImages) + "\"")),
            4 => (contentType, Splice(sample, random, Nested(random))),
            5 => (contentType, Splice(sample, random, random.Next(8) == 0 ? "\"" + new string('x', 10 * 1024 * 1024) + "\"" : "\"" + new string('x', 70_000) + "\"")),
            6 => (contentType, InsertBytes(Encoding.UTF8.GetBytes(sample), random, Pick(random, BadUtf8))),
            7 => (contentType, [.. Pick(random, Boms), .. Encoding.UTF8.GetBytes(sample)]),
            8 => (contentType, Encoding.UTF8.GetBytes(DuplicateKey(sample, random))),
            9 => (contentType, RandomBytes(random)),
            10 => (contentType, Splice(sample, random, "[\"" + Pick(random, LyingImages) + "\"]", "images")),
            _ => (contentType, FlipBytes(Encoding.UTF8.GetBytes(sample), random)),
        };
    }

    private static string Nested(Random random)
    {
        var depth = random.Next(2) == 0 ? 10_000 : random.Next(60, 200);
        return random.Next(2) == 0 ? new string('[', depth) + new string(']', depth) : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
    }

    /// <summary>The sample with one field's value (or a new field <paramref name="field"/>) replaced by raw JSON text.</summary>
    private static byte[] Splice(string sample, Random random, string value, string? field = null) => Encoding.UTF8.GetBytes(SpliceText(sample, random, value, field));

    private static string SpliceText(string sample, Random random, string value, string? field)
    {
        var fields = JsonNode.Parse(sample)!.AsObject().Select(p => p.Key).ToList();
        // An empty sample ({}) has no field to replace: the value goes in under a name the route does not know.
        field ??= fields.Count == 0 ? "fuzz" : Pick(random, [.. fields]);
        var others = JsonNode.Parse(sample)!.AsObject();
        others.Remove(field);
        var rest = others.ToJsonString().TrimStart('{').TrimEnd('}');
        return "{" + System.Text.Json.JsonSerializer.Serialize(field) + ":" + value + (rest.Length > 0 ? "," + rest : "") + "}";
    }

    private static string DuplicateKey(string sample, Random random)
    {
        // An empty sample ({}) gets one key twice.
        var first = JsonNode.Parse(sample)!.AsObject().FirstOrDefault().Key ?? "fuzz";
        var value = Pick(random, JsonValues);
        if (sample.Trim() == "{}")
        {
            return "{\"" + first + "\":" + value + ",\"" + first + "\":" + value + "}";
        }

        return random.Next(2) == 0 ? sample.TrimEnd('}') + ",\"" + first + "\":" + value + "}" : "{\"" + first + "\":" + value + "," + sample.TrimStart('{');
    }

    private static byte[] InsertBytes(byte[] body, Random random, byte[] insert)
    {
        var at = random.Next(body.Length + 1);
        return [.. body[..at], .. insert, .. body[at..]];
    }

    private static byte[] FlipBytes(byte[] body, Random random)
    {
        var copy = body.ToArray();
        for (var i = random.Next(1, 6); i > 0 && copy.Length > 0; i--)
        {
            copy[random.Next(copy.Length)] = (byte)random.Next(256);
        }

        return copy;
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 2048)];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A multipart create: valid, or with a broken boundary, a missing or huge part, a wrong part type, a non-image.</summary>
    private static (string? ContentType, byte[] Body) Multipart(Random random)
    {
        var boundary = "fuzz" + random.Next(1_000_000).ToString(CultureInfo.InvariantCulture);
        var fields = new List<(string Name, string Value)> { ("model", "sora-2"), ("prompt", "a boat"), ("seconds", "4"), ("size", "1280x720") };
        if (random.Next(2) == 0)
        {
            fields = [("model", "grok-video-3-pro"), ("prompt", "a hill"), ("seconds", "10"), ("aspect_ratio", "16:9"), ("size", "540P")];
        }

        var file = PngBytes;
        var fileType = "image/png";
        var fileName = "ref.png";
        var declaredBoundary = boundary;
        var close = true;
        switch (random.Next(14))
        {
            case 0: fields.RemoveAt(random.Next(fields.Count)); break;
            case 1: file = new byte[random.Next(2) == 0 ? 3 * 1024 * 1024 : 25 * 1024 * 1024]; random.NextBytes(file.AsSpan(0, 64)); break;
            case 2: fileType = Pick(random, ["text/plain", "image/gif", "application/octet-stream", "", "image/png; charset=utf-8", "video/mp4"]); break;
            case 3: file = "not an image at all"u8.ToArray(); break;
            case 4: declaredBoundary = boundary + "x"; break;
            case 5: close = false; break;
            case 6: fields.Add(("input_reference", Pick(random, LyingImages))); file = []; break;
            case 7: var at = random.Next(fields.Count); fields[at] = (fields[at].Name, Pick(random, ["", "\u0000", "99999999999999999999", "🙂", new string('x', 100_000)])); break;
            case 8: fileName = Pick(random, ["../../etc/passwd", "", "\u00e9.png", new string('n', 5000)]); break;
            case 9: file = [.. PngBytes[..30]]; break;
            case 10: declaredBoundary = "\"" + boundary + "\""; break;
            case 11: fields.Add((fields[0].Name, "duplicate")); break;
            default: break;
        }

        var body = new StringBuilder();
        foreach (var (name, value) in fields)
        {
            body.Append("--").Append(boundary).Append("\r\nContent-Disposition: form-data; name=\"").Append(name).Append("\"\r\n\r\n").Append(value).Append("\r\n");
        }

        var bytes = new List<byte>(Encoding.UTF8.GetBytes(body.ToString()));
        if (file.Length > 0)
        {
            var head = $"--{boundary}\r\nContent-Disposition: form-data; name=\"input_reference\"; filename=\"{fileName}\"\r\n"
                + (fileType.Length > 0 ? $"Content-Type: {fileType}\r\n" : "") + "\r\n";
            bytes.AddRange(Encoding.UTF8.GetBytes(head));
            bytes.AddRange(file);
            bytes.AddRange("\r\n"u8.ToArray());
        }

        if (close)
        {
            bytes.AddRange(Encoding.UTF8.GetBytes($"--{boundary}--\r\n"));
        }

        return ("multipart/form-data; boundary=" + declaredBoundary, [.. bytes]);
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];
}
