using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Vidgate.Fakes;

/// <summary>
/// Runway as vendors.md part A §3 and §7 document it: every call needs <c>X-Runway-Version: 2024-11-06</c> and
/// <c>Authorization: Bearer KEY</c> (401 otherwise). <c>POST /v1/text_to_video</c> and <c>/v1/image_to_video</c> take
/// camelCase bodies checked per model (<c>ratio</c> a pixel size, <c>duration</c> an int, <c>promptImage</c> an HTTPS URL
/// or a data URI up to 5 MB, or <c>[{uri, position}]</c>) and answer <c>{"id"}</c>; a bad body is 400
/// <c>{"error": "Validation of body failed", "issues": […]}</c>. <c>GET /v1/tasks/{id}</c> walks
/// <c>PENDING → RUNNING (progress 0–1) → SUCCEEDED (output[] signed URLs)</c>, or <c>FAILED</c> with
/// <c>failure</c> and <c>failureCode</c>: <c>[fake:reject]</c> <c>SAFETY.INPUT.TEXT</c> at once (Runway moderates inside
/// the task, never at create), <c>[fake:moderation]</c> <c>SAFETY.OUTPUT.VIDEO</c>, <c>[fake:failed]</c>
/// <c>INTERNAL</c>. <c>DELETE /v1/tasks/{id}</c> answers 204: a running task becomes <c>CANCELLED</c>, a finished one is
/// deleted (404 from then on). A model it does not list is taken as a newer one with gen4.5's values. 429 for the daily cap, 502 when shedding load; no credits left is a 400 with Runway's text.
/// </summary>
public sealed class FakeRunway : FakeVendor
{
    public const string Version = "2024-11-06";
    private static readonly TimeSpan Retention = TimeSpan.FromHours(24);
    private static readonly string[] Gen4 = ["1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"];
    private static readonly string[] Veo = ["1280:720", "720:1280", "1920:1080", "1080:1920"];
    private static readonly int[] TwoToTen = [.. Enumerable.Range(2, 9)];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _deleted = new(StringComparer.Ordinal);

    private FakeRunway(FakeVendorOptions options)
        : base(options)
    {
    }

    public static async Task<FakeRunway> StartAsync(FakeVendorOptions? options = null, int port = 0, CancellationToken ct = default)
    {
        var fake = new FakeRunway(options ?? new FakeVendorOptions { ApiKey = "key_" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) });
        await fake.StartHostAsync(port, ct);
        return fake;
    }

    /// <summary>The organisation's credits are used up: creates answer 400 with Runway's words.</summary>
    public bool OutOfCredit { get; set; }

    /// <summary>Running tasks report <c>progress: 1</c> (the end of Runway's 0–1 scale) until they finish.</summary>
    public bool FullProgress { get; set; }

    protected override void Map(WebApplication app)
    {
        app.MapPost("/v1/{action}", SubmitAsync);
        app.MapGet("/v1/tasks/{id}", PollAsync);
        app.MapDelete("/v1/tasks/{id}", DeleteAsync);
        app.MapGet("/_signed/{id}.mp4", (HttpContext http, string id) => ServeVideoAsync(http, id, Retention));
    }

    protected override Task WriteFaultAsync(HttpContext http, VendorFault fault) => fault switch
    {
        VendorFault.ServerError => ErrorAsync(http, 502, "The service is shedding load; please retry."),
        _ => ErrorAsync(http, 429, "You have exceeded your daily generation limit."),
    };

    private async Task SubmitAsync(HttpContext http, string action)
    {
        var body = await RecordAsync(http);
        if (action is not ("text_to_video" or "image_to_video"))
        {
            await ErrorAsync(http, 404, "Not found");
            return;
        }

        if (await AuthAsync(http) || await FaultAsync(http, submit: true))
        {
            return;
        }

        if (Issues(body, action == "image_to_video") is { Count: > 0 } issues)
        {
            await WriteJsonAsync(http, 400, $$"""{"error":"Validation of body failed","issues":[{{string.Join(",", issues)}}]}""");
            return;
        }

        if (OutOfCredit)
        {
            await ErrorAsync(http, 400, "You do not have enough credits to run this task.");
            return;
        }

        var id = Guid.NewGuid().ToString();
        NewJob(id, body!.Value.TryGetProperty("promptText", out var p) ? p.GetString() ?? "" : "", body.Value, action);
        await WriteJsonAsync(http, 200, $$"""{"id":"{{id}}"}""");
    }

    private async Task PollAsync(HttpContext http, string id)
    {
        await RecordAsync(http);
        if (await AuthAsync(http))
        {
            return;
        }

        if (!Jobs.TryGetValue(id, out var job) || _deleted.ContainsKey(id))
        {
            await ErrorAsync(http, 404, "Task not found");
            return;
        }

        if (await FaultAsync(http, submit: false))
        {
            return;
        }

        var share = (Options.Clock.GetUtcNow() - job.Created) / (job.DoneAt - job.Created);
        var head = $$"""{"id":"{{id}}","createdAt":"{{job.Created.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}}","status":""";
        var tail = Cancelled.ContainsKey(id) ? "\"CANCELLED\"}"
            : job.Marked("reject") ? Failed("The prompt was flagged by our content moderation.", "SAFETY.INPUT.TEXT")
            : share < 0.2 ? "\"PENDING\"}"
            : Running(job) ? $$"""
                "RUNNING","progress":{{(FullProgress ? 1 : Math.Round(share, 3)).ToString(CultureInfo.InvariantCulture)}}}
                """
            : job.Marked("moderation") ? Failed("The output was flagged by our content moderation.", "SAFETY.OUTPUT.VIDEO")
            : job.Marked("failed") ? Failed("An unexpected error occurred." + Echo(http.Request.Headers.Authorization), "INTERNAL")
            : $$"""
                "SUCCEEDED","output":["{{BaseUrl.ToString().TrimEnd('/')}}/_signed/{{id}}.mp4?_jwt=fake"]}
                """;
        await WriteJsonAsync(http, 200, head + tail);
    }

    private async Task DeleteAsync(HttpContext http, string id)
    {
        await RecordAsync(http);
        if (await AuthAsync(http))
        {
            return;
        }

        if (!Jobs.TryGetValue(id, out var job) || _deleted.ContainsKey(id))
        {
            await ErrorAsync(http, 404, "Task not found");
            return;
        }

        // Running, pending or throttled: cancelled; anything else: deleted.
        if (Running(job) && !job.Marked("reject"))
        {
            Cancelled[id] = true;
        }
        else
        {
            _deleted[id] = true;
        }

        http.Response.StatusCode = 204;
    }

    private async Task<bool> AuthAsync(HttpContext http)
    {
        if (http.Request.Headers["X-Runway-Version"].ToString() != Version)
        {
            await ErrorAsync(http, 400, "The X-Runway-Version header is missing or names no API version.");
            return true;
        }

        var header = http.Request.Headers.Authorization.ToString();
        if (header == "Bearer " + Options.ApiKey)
        {
            return false;
        }

        await ErrorAsync(http, 401, "Invalid API key" + Echo(header));
        return true;
    }

    /// <summary>The body's problems in Runway's issue shape; empty when it is acceptable for the model.</summary>
    private static List<string> Issues(JsonElement? body, bool image)
    {
        if (body is not { ValueKind: JsonValueKind.Object } root)
        {
            return [Issue("invalid_type", "Expected object", "")];
        }

        var model = root.TryGetProperty("model", out var m) ? m.GetString() ?? "" : "";
        (int[] Seconds, string[] Ratios)? spec = (model, image) switch
        {
            ("gen4.5", _) => (TwoToTen, image ? Gen4 : ["1280:720", "720:1280"]),
            ("gen4_turbo", true) => (TwoToTen, Gen4),
            ("gen3a_turbo", true) => ([5, 10], ["1280:768", "768:1280"]),
            ("veo3", _) => ([8], Veo),
            ("veo3.1" or "veo3.1_fast", _) => ([4, 6, 8], Veo),
            ("gen4_turbo" or "gen3a_turbo", false) => null,
            ("", _) => null,

            // A model the fake does not list is taken as a newer one with gen4.5's values.
            _ => (TwoToTen, image ? Gen4 : ["1280:720", "720:1280"]),
        };
        if (spec is not var (seconds, ratios))
        {
            return [Issue("invalid_value", "Invalid option", "model")];
        }

        var issues = new List<string>();
        var prompt = root.TryGetProperty("promptText", out var p) ? p.GetString() : null;
        if ((!image && string.IsNullOrEmpty(prompt)) || prompt?.Length > 1000)
        {
            issues.Add(Issue(prompt?.Length > 1000 ? "too_big" : "too_small", "A non-empty string up to 1000 characters", "promptText"));
        }

        if (!root.TryGetProperty("ratio", out var r) || !ratios.Contains(r.GetString()))
        {
            issues.Add(Issue("invalid_value", "Invalid option: expected one of " + string.Join("|", ratios), "ratio"));
        }

        if (root.TryGetProperty("duration", out var d) && (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out var n) || !seconds.Contains(n)))
        {
            issues.Add(Issue("invalid_value", "Invalid duration", "duration"));
        }

        var hasImage = root.TryGetProperty("promptImage", out var promptImage);
        if (image != hasImage)
        {
            issues.Add(Issue(image ? "invalid_type" : "unrecognized_keys", image ? "Required" : "Unrecognized key", "promptImage"));
        }
        else if (hasImage && !ImageOk(promptImage, model))
        {
            issues.Add(Issue("invalid_value", "Invalid asset: an HTTPS URL, a runway:// URI or a data URI up to 5 MB", "promptImage"));
        }

        return issues;
    }

    private static bool ImageOk(JsonElement promptImage, string model)
    {
        if (promptImage.ValueKind == JsonValueKind.String)
        {
            return Asset(promptImage.GetString());
        }

        if (promptImage.ValueKind != JsonValueKind.Array || promptImage.GetArrayLength() is 0 or > 2)
        {
            return false;
        }

        var items = promptImage.EnumerateArray().ToList();
        var positions = items.Select(i => i.TryGetProperty("position", out var p) ? p.GetString() : null).ToList();
        var lastAllowed = model is "gen3a_turbo" or "veo3.1" or "veo3.1_fast";
        return items.All(i => i.TryGetProperty("uri", out var u) && Asset(u.GetString()))
               && positions.All(p => p == "first" || (p == "last" && lastAllowed))
               && positions.Contains("first") && positions.Distinct().Count() == positions.Count;
    }

    private static bool Asset(string? uri)
    {
        if (uri is null)
        {
            return false;
        }

        if (uri.StartsWith("https://", StringComparison.Ordinal) || uri.StartsWith("runway://", StringComparison.Ordinal))
        {
            return uri.Length <= 2048;
        }

        var comma = uri.IndexOf(',', StringComparison.Ordinal);
        return uri.Length <= 5 * 1024 * 1024 && comma > 0
               && (uri.StartsWith("data:image/png;base64,", StringComparison.Ordinal) || uri.StartsWith("data:image/jpeg;base64,", StringComparison.Ordinal) || uri.StartsWith("data:image/webp;base64,", StringComparison.Ordinal))
               && Convert.TryFromBase64String(uri[(comma + 1)..], new byte[uri.Length], out _);
    }

    private static string Failed(string failure, string code) => $$"""
        "FAILED","failure":{{Quote(failure)}},"failureCode":"{{code}}"}
        """;

    private static string Issue(string code, string message, string path)
        => $$"""{"code":"{{code}}","message":{{Quote(message)}},"path":["{{path}}"]}""";

    private static Task ErrorAsync(HttpContext http, int status, string message)
        => WriteJsonAsync(http, status, $$"""{"error":{{Quote(message)}}}""");
}
