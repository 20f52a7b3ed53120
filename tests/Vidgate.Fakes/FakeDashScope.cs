using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Vidgate.Fakes;

/// <summary>
/// Alibaba Model Studio / DashScope Wan as vendors.md part B §3 documents it: <c>POST
/// /api/v1/services/aigc/video-generation/video-synthesis</c> (and <c>…/aigc/image2video/video-synthesis</c> for the
/// first-and-last-frame models) refused with 403 <c>AccessDenied</c> without <c>X-DashScope-Async: enable</c>; body
/// <c>{model, input{prompt, img_url | first_frame_url, last_frame_url}, parameters{size (text) | resolution (image),
/// duration}}</c>, images as a URL or <c>data:{mime};base64,</c>; <c>GET /api/v1/tasks/{id}</c> walking <c>PENDING →
/// RUNNING → SUCCEEDED</c> (a signed <c>video_url</c> kept 24 h, <c>usage</c> in the wan2.6 or the older shape) or
/// <c>FAILED</c> with <c>output.code</c>/<c>message</c> at HTTP 200 (<c>[fake:failed]</c>; <c>[fake:moderation]</c>:
/// <c>DataInspectionFailed</c>); an unknown id is <c>UNKNOWN</c> at HTTP 200. <c>POST /api/v1/tasks/{id}/cancel</c> cancels a
/// <c>PENDING</c> task (then <c>CANCELED</c>) and refuses any other. Errors are <c>{code, message, request_id}</c>: 401
/// <c>InvalidApiKey</c>, 400 <c>InvalidParameter</c>, 400 <c>DataInspectionFailed</c> (<c>[fake:reject]</c>), 429
/// <c>Throttling.RateQuota</c>, 500 <c>InternalError</c>.
/// </summary>
public sealed class FakeDashScope : FakeVendor
{
    private static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    private static readonly Dictionary<string, string[]> SizesByTier = new()
    {
        ["480P"] = ["832*480", "480*832", "624*624"],
        ["720P"] = ["1280*720", "720*1280", "960*960", "1088*832", "832*1088"],
        ["1080P"] = ["1920*1080", "1080*1920", "1440*1440", "1632*1248", "1248*1632"],
    };

    private readonly ConcurrentDictionary<string, bool> _canceled = new(StringComparer.Ordinal);

    private FakeDashScope(FakeVendorOptions options)
        : base(options)
    {
    }

    public static async Task<FakeDashScope> StartAsync(FakeVendorOptions? options = null, int port = 0, CancellationToken ct = default)
    {
        var fake = new FakeDashScope(options ?? new FakeVendorOptions { ApiKey = $"sk-{Guid.NewGuid():N}" });
        await fake.StartHostAsync(port, ct);
        return fake;
    }

    protected override void Map(WebApplication app)
    {
        app.MapPost("/api/v1/services/aigc/{family}/video-synthesis", SubmitAsync);
        app.MapGet("/api/v1/tasks/{id}", PollAsync);
        app.MapPost("/api/v1/tasks/{id}/cancel", CancelAsync);
        app.MapGet("/_oss/{id}.mp4", (HttpContext http, string id) => ServeVideoAsync(http, id, Retention));
    }

    protected override Task WriteFaultAsync(HttpContext http, VendorFault fault) => fault switch
    {
        VendorFault.ServerError => ErrorAsync(http, 500, "InternalError", "An internal error has occured, please try again later or contact service support." + Echo(Bearer(http))),
        VendorFault.RateLimitedBare => ErrorAsync(http, 429, "Throttling.AllocationQuota", "Free allocated quota exceeded."),
        _ => ErrorAsync(http, 429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later."),
    };

    private async Task SubmitAsync(HttpContext http, string family)
    {
        var body = await RecordAsync(http);
        if (family is not ("video-generation" or "image2video"))
        {
            await ErrorAsync(http, 404, "NotFound", "Not Found");
            return;
        }

        if (await AuthAsync(http))
        {
            return;
        }

        if (http.Request.Headers["X-DashScope-Async"].ToString() != "enable")
        {
            await ErrorAsync(http, 403, "AccessDenied", "current user api does not support synchronous calls");
            return;
        }

        if (await FaultAsync(http, submit: true))
        {
            return;
        }

        if (Invalid(body, family == "image2video") is { } problem)
        {
            await ErrorAsync(http, 400, "InvalidParameter", problem);
            return;
        }

        var prompt = body!.Value.GetProperty("input").TryGetProperty("prompt", out var p) ? p.GetString() ?? "" : "";
        if (prompt.Contains("[fake:reject]", StringComparison.Ordinal))
        {
            await ErrorAsync(http, 400, "DataInspectionFailed", "Input data may contain inappropriate content." + Echo(Bearer(http)));
            return;
        }

        var id = Guid.NewGuid().ToString();
        NewJob(id, prompt, body.Value, family);
        await WriteJsonAsync(http, 200, $$"""{"output":{"task_status":"PENDING","task_id":"{{id}}"},"request_id":"{{Guid.NewGuid()}}"}""");
    }

    private async Task PollAsync(HttpContext http, string id)
    {
        await RecordAsync(http);
        if (await AuthAsync(http))
        {
            return;
        }

        if (!Jobs.TryGetValue(id, out var job))
        {
            await WriteJsonAsync(http, 200, $$$"""{"request_id":"{{{Guid.NewGuid()}}}","output":{"task_id":"{{{id}}}","task_status":"UNKNOWN"}}""");
            return;
        }

        if (await FaultAsync(http, submit: false))
        {
            return;
        }

        string output, usage = "";
        if (_canceled.ContainsKey(id))
        {
            output = $$"""{"task_id":"{{id}}","task_status":"CANCELED"}""";
        }
        else if (Running(job))
        {
            output = $$"""{"task_id":"{{id}}","task_status":"{{(Pending(job) ? "PENDING" : "RUNNING")}}","submit_time":"{{Time(job.Created)}}"}""";
        }
        else if (job.Marked("failed") || job.Marked("moderation"))
        {
            var (code, message) = job.Marked("moderation")
                ? ("DataInspectionFailed", "Output data may contain inappropriate content.")
                : ("InternalError.Algo", "Algorithm process error" + Echo(Bearer(http)));
            output = $$"""{"task_id":"{{id}}","task_status":"FAILED","code":"{{code}}","message":{{Quote(message)}}}""";
        }
        else
        {
            var parameters = job.Body.GetProperty("parameters");
            var seconds = parameters.TryGetProperty("duration", out var d) ? d.GetInt32() : 5;
            var size = parameters.TryGetProperty("size", out var s) ? s.GetString()! : "1280*720";
            var model = job.Body.GetProperty("model").GetString()!;
            output = $$"""
                {"task_id":"{{id}}","task_status":"SUCCEEDED","submit_time":"{{Time(job.Created)}}","end_time":"{{Time(job.DoneAt)}}","video_url":"{{BaseUrl.ToString().TrimEnd('/')}}/_oss/{{id}}.mp4?Expires={{(job.DoneAt + Retention).ToUnixTimeSeconds()}}&Signature=fake"}
                """;

            // wan2.6 bills in its own usage shape; older models report video_duration and video_ratio.
            usage = model.StartsWith("wan2.6", StringComparison.Ordinal)
                ? $$""","usage":{"duration":{{seconds}},"size":"{{size}}","input_video_duration":0,"output_video_duration":{{seconds}},"video_count":1,"SR":720}"""
                : $$""","usage":{"video_duration":{{seconds}},"video_ratio":"{{size}}","video_count":1}""";
        }

        await WriteJsonAsync(http, 200, $$"""{"request_id":"{{Guid.NewGuid()}}","output":{{output}}{{usage}}}""");
    }

    private async Task CancelAsync(HttpContext http, string id)
    {
        await RecordAsync(http);
        if (await AuthAsync(http))
        {
            return;
        }

        if (!Jobs.TryGetValue(id, out var job))
        {
            await ErrorAsync(http, 400, "InvalidParameter", "task not found");
            return;
        }

        Cancelled[id] = true;
        if (!Running(job) || !Pending(job) || _canceled.ContainsKey(id))
        {
            // Only PENDING tasks can be cancelled; the refusal's exact code is undocumented.
            await ErrorAsync(http, 400, "UnsupportedOperation", "Failed to cancel the task, please confirm if the task is in PENDING status.");
            return;
        }

        _canceled[id] = true;
        await WriteJsonAsync(http, 200, $$"""{"request_id":"{{Guid.NewGuid()}}"}""");
    }

    private bool Pending(FakeVendorJob job) => Options.Clock.GetUtcNow() - job.Created < (job.DoneAt - job.Created) / 3;

    private async Task<bool> AuthAsync(HttpContext http)
    {
        var key = Bearer(http);
        if (string.IsNullOrEmpty(key))
        {
            await ErrorAsync(http, 401, "InvalidApiKey", "No API-key provided.");
            return true;
        }

        if (key != Options.ApiKey)
        {
            await ErrorAsync(http, 401, "InvalidApiKey", "Invalid API-key provided." + Echo(key));
            return true;
        }

        return false;
    }

    private static string? Bearer(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : null;
    }

    /// <summary>DashScope's times: <c>YYYY-MM-DD HH:mm:ss.SSS</c>, no zone (UTC+8).</summary>
    private static string Time(DateTimeOffset at) => at.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);

    /// <summary>The documented body rules (a model outside the lists is taken like wan2.5).</summary>
    private static string? Invalid(JsonElement? body, bool keyframes)
    {
        if (body is not { ValueKind: JsonValueKind.Object } root || !root.TryGetProperty("model", out var m) || m.ValueKind != JsonValueKind.String)
        {
            return "model is required";
        }

        if (!root.TryGetProperty("input", out var input) || input.ValueKind != JsonValueKind.Object)
        {
            return "input is required";
        }

        var parameters = root.TryGetProperty("parameters", out var ps) && ps.ValueKind == JsonValueKind.Object ? ps : default;
        var model = m.GetString()!;
        var imageField = keyframes ? "first_frame_url" : "img_url";
        var image = input.TryGetProperty(imageField, out var img);
        var prompt = input.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : null;
        if (!image && string.IsNullOrWhiteSpace(prompt))
        {
            return "input.prompt is required";
        }

        if ((image && !IsImage(img)) || (input.TryGetProperty("last_frame_url", out var last) && !IsImage(last)))
        {
            return $"input.{imageField} must be a public URL or data:{{MIME_type}};base64,{{data}}";
        }

        if (parameters.ValueKind == JsonValueKind.Object)
        {
            if (image && parameters.TryGetProperty("size", out _))
            {
                return "parameters.size is not supported for image-to-video; use parameters.resolution";
            }

            if (!image && parameters.TryGetProperty("resolution", out _))
            {
                return "parameters.resolution is not supported for text-to-video; use parameters.size";
            }

            if (parameters.TryGetProperty("size", out var size) && !SizesByTier.Values.Any(s => s.Contains(size.GetString())))
            {
                return "The size is not match the allowed sizes";
            }

            if (parameters.TryGetProperty("resolution", out var tier) && !SizesByTier.ContainsKey(tier.GetString() ?? ""))
            {
                return "parameters.resolution must be 480P, 720P or 1080P";
            }

            if (parameters.TryGetProperty("duration", out var d))
            {
                int[] allowed = model.StartsWith("wan2.6-i2v-flash", StringComparison.Ordinal) ? [.. Enumerable.Range(2, 14)] : model.StartsWith("wan2.6", StringComparison.Ordinal) ? [5, 10, 15] : model.StartsWith("wan2.5", StringComparison.Ordinal) || !model.StartsWith("wan", StringComparison.Ordinal) ? [5, 10] : [5];
                if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out var seconds) || !allowed.Contains(seconds))
                {
                    return $"parameters.duration must be one of {string.Join(", ", allowed)} for {model}";
                }
            }
        }

        return null;
    }

    private static bool IsImage(JsonElement value)
        => value.ValueKind == JsonValueKind.String && value.GetString() is { } text
           && (text.StartsWith("https://", StringComparison.Ordinal) || text.StartsWith("http://", StringComparison.Ordinal)
               || (text.StartsWith("data:image/", StringComparison.Ordinal) && text.IndexOf(";base64,", StringComparison.Ordinal) is > 0 and var at
                   && Convert.TryFromBase64String(text[(at + 8)..], new byte[text.Length], out _)));

    private static Task ErrorAsync(HttpContext http, int status, string code, string message)
        => WriteJsonAsync(http, status, $$"""{"code":"{{code}}","message":{{Quote(message)}},"request_id":"{{Guid.NewGuid()}}"}""");
}
