using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Vidgate.Fakes;

/// <summary>
/// Volcengine Ark / BytePlus ModelArk Seedance as vendors.md part B §4 documents it: <c>POST
/// /api/v3/contents/generations/tasks</c> with <c>{model, content: [{type: text}, {type: image_url, image_url: {url},
/// role}], resolution, ratio, duration}</c> strictly validated (images as a URL or <c>data:image/&lt;lower-case
/// fmt&gt;;base64,</c>; one image as first frame, two as first and last, 1–9 reference images; duration 2–12, 4–12 on 1.5
/// pro), answering <c>{"id": "cgt-…"}</c>; <c>GET …/tasks/{id}</c> walking <c>queued → running → succeeded</c>
/// (<c>content.video_url</c> pre-signed, kept 24 h and served only with its query string byte-exact; <c>usage</c> in
/// tokens) or <c>failed</c> with <c>error{code, message}</c> (<c>[fake:moderation]</c>:
/// <c>OutputVideoSensitiveContentDetected.PolicyViolation</c>); <c>DELETE …/tasks/{id}</c> cancels a queued task, refuses
/// a running one, deletes a finished one's record. Errors are <c>{"error": {code, message, param, type}}</c>: 401
/// <c>AuthenticationError</c>, 400 <c>InvalidParameter</c>, 400 <c>InputTextSensitiveContentDetected</c>
/// (<c>[fake:reject]</c>), 404 <c>ResourceNotFound</c>, 429 <c>RateLimitExceeded.EndpointRPMExceeded</c>, 500
/// <c>InternalServiceError</c>.
/// </summary>
public sealed class FakeArk : FakeVendor
{
    /// <summary>A signature with escapes a client that re-encodes the URL would break (as litellm warns).</summary>
    public const string Signature = "X-Tos-Signature=a%2Fb%3D%3D";

    private static readonly TimeSpan Retention = TimeSpan.FromHours(24);
    private static readonly string[] Resolutions = ["480p", "720p", "1080p"];
    private static readonly string[] Ratios = ["16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "adaptive"];
    private readonly ConcurrentDictionary<string, bool> _cancelled = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _deleted = new(StringComparer.Ordinal);
    private int _nextId;

    private FakeArk(FakeVendorOptions options)
        : base(options)
    {
    }

    public static async Task<FakeArk> StartAsync(FakeVendorOptions? options = null, int port = 0, CancellationToken ct = default)
    {
        var fake = new FakeArk(options ?? new FakeVendorOptions { ApiKey = Guid.NewGuid().ToString() });
        await fake.StartHostAsync(port, ct);
        return fake;
    }

    protected override void Map(WebApplication app)
    {
        app.MapPost("/api/v3/contents/generations/tasks", SubmitAsync);
        app.MapGet("/api/v3/contents/generations/tasks/{id}", PollAsync);
        app.MapDelete("/api/v3/contents/generations/tasks/{id}", DeleteAsync);
        app.MapGet("/_tos/{id}.mp4", ServeAsync);
    }

    protected override Task WriteFaultAsync(HttpContext http, VendorFault fault) => fault switch
    {
        VendorFault.ServerError => ErrorAsync(http, 500, "InternalServiceError", "The service encountered an unexpected internal error." + Echo(Bearer(http)), "InternalServerError"),
        VendorFault.RateLimitedBare => ErrorAsync(http, 429, "ServerOverloaded", "The service is currently unable to handle additional requests due to server overload.", "TooManyRequests"),
        _ => ErrorAsync(http, 429, "RateLimitExceeded.EndpointRPMExceeded", "The request has exceeded the RPM rate limit of the endpoint.", "TooManyRequests"),
    };

    private async Task SubmitAsync(HttpContext http)
    {
        var body = await RecordAsync(http);
        if (await AuthAsync(http) || await FaultAsync(http, submit: true))
        {
            return;
        }

        if (Invalid(body) is var (param, problem))
        {
            await ErrorAsync(http, 400, "InvalidParameter", $"The parameter `{param}` specified in the request is not valid: {problem}", "BadRequest", param);
            return;
        }

        var prompt = Prompt(body!.Value);
        if (prompt.Contains("[fake:reject]", StringComparison.Ordinal))
        {
            await ErrorAsync(http, 400, "InputTextSensitiveContentDetected", "The request failed because the input text may contain sensitive information." + Echo(Bearer(http)), "BadRequest");
            return;
        }

        var now = Options.Clock.GetUtcNow();
        var id = $"cgt-{now:yyyyMMddHHmmss}-{Interlocked.Increment(ref _nextId):x4}{Guid.NewGuid().ToString("N")[..4]}";
        var job = NewJob(id, prompt, body.Value);
        StartCallbacks(job, Field(body, "callback_url"));
        await WriteJsonAsync(http, 200, $$"""{"id":"{{id}}"}""");
    }

    /// <summary>Ark's callback: the query response, POSTed on every status change.</summary>
    protected override string? CallbackBody(FakeVendorJob job, bool done)
    {
        var status = !done ? "running" : job.Marked("failed") || job.Marked("moderation") ? "failed" : "succeeded";
        var content = status == "succeeded" ? $$""","content":{"video_url":"{{BaseUrl.ToString().TrimEnd('/')}}/_tos/{{job.Id}}.mp4"}""" : "";
        return $$"""{"id":"{{job.Id}}","model":{{Quote(Field(job.Body, "model") ?? "")}},"status":"{{status}}"{{content}},"created_at":{{job.Created.ToUnixTimeSeconds()}},"updated_at":{{Options.Clock.GetUtcNow().ToUnixTimeSeconds()}}}""";
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
            await ErrorAsync(http, 404, "ResourceNotFound", "task not found", "NotFound");
            return;
        }

        if (await FaultAsync(http, submit: false))
        {
            return;
        }

        var body = job.Body;
        var model = body.GetProperty("model").GetString();
        var resolution = body.TryGetProperty("resolution", out var r) ? r.GetString() : "720p";
        var ratio = body.TryGetProperty("ratio", out var q) ? q.GetString() : "16:9";
        var seconds = body.TryGetProperty("duration", out var d) ? d.GetInt32() : 5;
        string status, extra = "";
        if (_cancelled.ContainsKey(id))
        {
            status = "cancelled";
        }
        else if (Running(job))
        {
            status = Queued(job) ? "queued" : "running";
        }
        else if (job.Marked("failed") || job.Marked("moderation"))
        {
            status = "failed";
            var (code, message) = job.Marked("moderation")
                ? ("OutputVideoSensitiveContentDetected.PolicyViolation", "The request failed because the output video may be related to copyright restrictions.")
                : ("InternalServiceError", "The video could not be generated." + Echo(Bearer(http)));
            extra = $$""","error":{"code":"{{code}}","message":{{Quote(message)}}}""";
        }
        else
        {
            status = "succeeded";

            // Tokens ≈ width × height × fps × seconds / 1024 (720p 16:9 at 24 fps: 1280 × 720 × 24 / 1024 a second).
            var tokens = 21600L * seconds;
            extra = $$""","content":{"video_url":"{{BaseUrl.ToString().TrimEnd('/')}}/_tos/{{id}}.mp4?{{Signature}}"},"usage":{"completion_tokens":{{tokens}},"total_tokens":{{tokens}}}""";
        }

        await WriteJsonAsync(http, 200, $$"""
            {"id":"{{id}}","model":"{{model}}","status":"{{status}}"{{extra}},"created_at":{{job.Created.ToUnixTimeSeconds()}},"updated_at":{{Options.Clock.GetUtcNow().ToUnixTimeSeconds()}},"seed":78674,"resolution":"{{resolution}}","ratio":"{{ratio}}","duration":{{seconds}},"framespersecond":24,"service_tier":"default","execution_expires_after":172800}
            """);
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
            await ErrorAsync(http, 404, "ResourceNotFound", "task not found", "NotFound");
            return;
        }

        Cancelled[id] = true;
        if (Running(job) && !Queued(job) && !_cancelled.ContainsKey(id))
        {
            // A running task can be neither cancelled nor deleted; the refusal's body is undocumented.
            await ErrorAsync(http, 409, "InvalidAction.TaskRunning", "The task is running and cannot be cancelled.", "Conflict");
            return;
        }

        if (_cancelled.ContainsKey(id))
        {
            await ErrorAsync(http, 409, "InvalidAction.TaskCancelled", "The task is already cancelled.", "Conflict");
            return;
        }

        if (Running(job))
        {
            _cancelled[id] = true;
        }
        else
        {
            _deleted[id] = true;
        }

        http.Response.StatusCode = 200;
    }

    private async Task ServeAsync(HttpContext http, string id)
    {
        // A pre-signed URL: a query string not exactly as issued fails the signature.
        if (http.Request.QueryString.Value != "?" + Signature)
        {
            http.Response.StatusCode = 403;
            return;
        }

        await ServeVideoAsync(http, id, Retention);
    }

    private bool Queued(FakeVendorJob job) => Options.Clock.GetUtcNow() - job.Created < (job.DoneAt - job.Created) / 3;

    private async Task<bool> AuthAsync(HttpContext http)
    {
        var key = Bearer(http);
        if (key != Options.ApiKey)
        {
            await ErrorAsync(http, 401, "AuthenticationError", "The API key or AK/SK in the request is missing or invalid." + Echo(key), "Unauthorized");
            return true;
        }

        return false;
    }

    private static string? Bearer(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : null;
    }

    private static string Prompt(JsonElement body)
        => body.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array
            ? string.Concat(content.EnumerateArray().Where(i => i.TryGetProperty("type", out var t) && t.GetString() == "text").Select(i => i.TryGetProperty("text", out var x) ? x.GetString() : ""))
            : "";

    /// <summary>The documented strict validation: the offending parameter and why, or null.</summary>
    private static (string Param, string Problem)? Invalid(JsonElement? body)
    {
        if (body is not { ValueKind: JsonValueKind.Object } root || !root.TryGetProperty("model", out var m) || m.ValueKind != JsonValueKind.String)
        {
            return ("model", "model is required");
        }

        if (!root.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array || content.GetArrayLength() == 0)
        {
            return ("content", "content is required");
        }

        var texts = content.EnumerateArray().Where(i => i.TryGetProperty("type", out var t) && t.GetString() == "text").ToList();
        var images = content.EnumerateArray().Where(i => i.TryGetProperty("type", out var t) && t.GetString() == "image_url").ToList();
        if (texts.Count > 1 || (images.Count == 0 && (texts.Count == 0 || string.IsNullOrWhiteSpace(texts[0].GetProperty("text").GetString()))))
        {
            return ("content", "one non-empty text item is required for text-to-video");
        }

        foreach (var image in images)
        {
            var url = image.TryGetProperty("image_url", out var u) && u.TryGetProperty("url", out var v) ? v.GetString() ?? "" : "";
            if (!(url.StartsWith("https://", StringComparison.Ordinal) || IsDataUri(url)))
            {
                return ("image_url", "image_url.url must be a URL or data:image/<format>;base64,<data> with a lower-case format");
            }
        }

        var roles = images.Select(i => i.TryGetProperty("role", out var r) ? r.GetString() : null).ToList();
        var valid = roles switch
        {
            [] => true,
            [null or "first_frame"] => true,
            ["first_frame", "last_frame"] => true,
            _ => roles.Count <= 9 && roles.All(r => r == "reference_image"),
        };
        if (!valid)
        {
            return ("role", "images are one first_frame, a first_frame and a last_frame, or 1-9 reference_image");
        }

        if (root.TryGetProperty("resolution", out var res) && !Resolutions.Contains(res.GetString()))
        {
            return ("resolution", "must be 480p, 720p or 1080p");
        }

        if (root.TryGetProperty("ratio", out var ratio) && !Ratios.Contains(ratio.GetString()))
        {
            return ("ratio", "must be one of " + string.Join(", ", Ratios));
        }

        var min = m.GetString()!.Contains("seedance-1-5-pro", StringComparison.Ordinal) ? 4 : 2;
        if (root.TryGetProperty("duration", out var d) && (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out var seconds) || seconds < min || seconds > 12))
        {
            return ("duration", $"must be an integer from {min} to 12");
        }

        return null;
    }

    private static bool IsDataUri(string text)
        => text.StartsWith("data:image/", StringComparison.Ordinal) && text.IndexOf(";base64,", StringComparison.Ordinal) is > 0 and var at
           && text["data:image/".Length..at] is { Length: > 0 } format && !format.Any(char.IsUpper)
           && Convert.TryFromBase64String(text[(at + 8)..], new byte[text.Length], out _);

    private static Task ErrorAsync(HttpContext http, int status, string code, string message, string type, string param = "")
        => WriteJsonAsync(http, status, $$$"""{"error":{"code":"{{{code}}}","message":{{{Quote(message + " Request ID: " + Guid.NewGuid().ToString("N"))}}},"param":"{{{param}}}","type":"{{{type}}}"}}""");
}
