using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Vidgate.Fakes;

/// <summary>
/// Vidu as vendors.md part B §5 documents it: <c>POST /ent/v2/text2video</c>, <c>/ent/v2/img2video</c> (exactly one
/// image) and <c>/ent/v2/start-end2video</c> (exactly two), images as a public URL or a data URI with its content type,
/// <c>duration</c> an int and <c>resolution</c>/<c>aspect_ratio</c> per model; <c>Authorization: Token KEY</c>. The
/// create answers an echo with <c>task_id</c> (a numeric string), <c>state: created</c> and <c>credits</c>;
/// <c>GET /ent/v2/tasks/{id}/creations</c> walks <c>created → queueing → processing → success</c> (creations[].url
/// plain, kept 24 h) or <c>failed</c> with <c>err_code</c> (<c>[fake:failed]</c>: <c>InternalServiceFailure</c>;
/// <c>[fake:moderation]</c>: <c>CreationPolicyViolation</c>). <c>POST /ent/v2/tasks/{id}/cancel</c> answers <c>{}</c>
/// while the task is created or queueing (it then fails with <c>UserCancelled</c>) and 400 "task state is scheduled,
/// can not cancel" once it is processing. Errors are <c>{code, reason, message, metadata}</c>: 401 <c>Unauthorized</c>,
/// 400 <c>FieldLacking</c>/<c>FieldInvalid</c>, 400 <c>AuditSubmitIllegal</c> (<c>[fake:reject]</c>), 400
/// <c>CreditInsufficient</c> (<see cref="OutOfCredit"/>), 404 <c>TaskNotFound</c>, 429 <c>TooManyRequests</c> /
/// <c>QuotaExceeded</c> (concurrency), 500 <c>InternalServiceFailure</c>.
/// </summary>
public sealed class FakeVidu : FakeVendor
{
    private static readonly TimeSpan Retention = TimeSpan.FromHours(24);
    private long _nextId = 809387572068364000;

    private FakeVidu(FakeVendorOptions options)
        : base(options)
    {
    }

    public static async Task<FakeVidu> StartAsync(FakeVendorOptions? options = null, int port = 0, CancellationToken ct = default)
    {
        var fake = new FakeVidu(options ?? new FakeVendorOptions { ApiKey = "vda_" + Guid.NewGuid().ToString("N") });
        await fake.StartHostAsync(port, ct);
        return fake;
    }

    /// <summary>The account has no credits left: creates answer 400 <c>CreditInsufficient</c> (Vidu's status for it, not 402).</summary>
    public bool OutOfCredit { get; set; }

    protected override void Map(WebApplication app)
    {
        app.MapPost("/ent/v2/tasks/{id}/cancel", CancelAsync);
        app.MapGet("/ent/v2/tasks/{id}/creations", PollAsync);
        app.MapPost("/ent/v2/{family}", SubmitAsync);
        app.MapGet("/_cdn/{id}.mp4", (HttpContext http, string id) => ServeVideoAsync(http, id, Retention));
    }

    protected override Task WriteFaultAsync(HttpContext http, VendorFault fault) => fault switch
    {
        VendorFault.ServerError => ErrorAsync(http, 500, "InternalServiceFailure", "internal service failure"),
        VendorFault.RateLimitedBare => ErrorAsync(http, 429, "QuotaExceeded", "over concurrency limit"),
        _ => ErrorAsync(http, 429, "TooManyRequests", "too many requests"),
    };

    private async Task SubmitAsync(HttpContext http, string family)
    {
        var body = await RecordAsync(http);
        if (family is not ("text2video" or "img2video" or "start-end2video"))
        {
            await ErrorAsync(http, 404, "NotFound", "not found");
            return;
        }

        if (await AuthAsync(http) || await FaultAsync(http, submit: true))
        {
            return;
        }

        if (Invalid(body, family) is var (reason, problem))
        {
            await ErrorAsync(http, 400, reason, problem);
            return;
        }

        if (OutOfCredit)
        {
            await ErrorAsync(http, 400, "CreditInsufficient", "insufficient credits");
            return;
        }

        var prompt = body!.Value.TryGetProperty("prompt", out var p) ? p.GetString() ?? "" : "";
        if (prompt.Contains("[fake:reject]", StringComparison.Ordinal))
        {
            await ErrorAsync(http, 400, "AuditSubmitIllegal", "input failed safety review" + Echo(http.Request.Headers.Authorization));
            return;
        }

        var id = Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
        var job = NewJob(id, prompt, body.Value, family);
        StartCallbacks(job, Field(body, "callback_url"));
        var root = body.Value;
        await WriteJsonAsync(http, 200, $$"""
            {"task_id":"{{id}}","state":"created","model":{{Quote(Text(root, "model") ?? "")}},"prompt":{{Quote(prompt)}},"duration":{{Duration(root)}},"seed":123456789,"aspect_ratio":{{Quote(Text(root, "aspect_ratio") ?? "16:9")}},"resolution":{{Quote(Text(root, "resolution") ?? "720p")}},"movement_amplitude":"auto","payload":"","credits":{{Credits(root)}},"off_peak":false,"created_at":"{{job.Created.UtcDateTime:yyyy-MM-ddTHH:mm:ss.ffffffZ}}"}
            """);
    }

    /// <summary>vendors.md §5.4: the task's latest state (Get Generation's shape), POSTed on each change.</summary>
    protected override string? CallbackBody(FakeVendorJob job, bool done)
    {
        var state = !done ? "processing" : job.Marked("failed") || job.Marked("moderation") ? "failed" : "success";
        var creations = state == "success" ? $$"""[{"id":"c{{job.Id}}","url":"{{BaseUrl.ToString().TrimEnd('/')}}/_cdn/{{job.Id}}.mp4"}]""" : "[]";
        return $$"""{"id":"{{job.Id}}","state":"{{state}}","err_code":"","creations":{{creations}}}""";
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
            await ErrorAsync(http, 404, "TaskNotFound", "task not found");
            return;
        }

        if (await FaultAsync(http, submit: false))
        {
            return;
        }

        string state, errCode = "", creations = "[]";
        if (Cancelled.ContainsKey(id))
        {
            (state, errCode) = ("failed", "UserCancelled");
        }
        else if (Running(job))
        {
            state = Phase(job);
        }
        else if (job.Marked("failed") || job.Marked("moderation"))
        {
            state = "failed";
            errCode = job.Marked("moderation") ? "CreationPolicyViolation" : "InternalServiceFailure" + Echo(http.Request.Headers.Authorization);
        }
        else
        {
            state = "success";
            var root = BaseUrl.ToString().TrimEnd('/');
            creations = $$"""[{"id":"c{{id}}","url":"{{root}}/_cdn/{{id}}.mp4","cover_url":"{{root}}/_cdn/{{id}}.jpg","watermarked_url":""}]""";
        }

        await WriteJsonAsync(http, 200, $$"""
            {"id":"{{id}}","state":"{{state}}","err_code":{{Quote(errCode)}},"credits":{{Credits(job.Body)}},"payload":"","bgm":false,"off_peak":false,"creations":{{creations}}}
            """);
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
            await ErrorAsync(http, 404, "TaskNotFound", "task not found");
            return;
        }

        var state = Running(job) ? Phase(job) : "success";
        if (state is not ("created" or "queueing"))
        {
            await ErrorAsync(http, 400, "BadRequest", $"task state is {(state == "processing" ? "scheduled" : state)}, can not cancel");
            return;
        }

        Cancelled[id] = true;
        await WriteJsonAsync(http, 200, "{}");
    }

    /// <summary>Created for the first tenth of the job, queueing until 60 %, then processing (no longer cancellable).</summary>
    private string Phase(FakeVendorJob job)
    {
        var share = (Options.Clock.GetUtcNow() - job.Created) / (job.DoneAt - job.Created);
        return share < 0.1 ? "created" : share < 0.6 ? "queueing" : "processing";
    }

    private async Task<bool> AuthAsync(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (header == "Token " + Options.ApiKey)
        {
            return false;
        }

        await ErrorAsync(http, 401, "Unauthorized", "unauthorized" + Echo(header));
        return true;
    }

    /// <summary>The failing field as Vidu names it (reason, message), or null when the body is acceptable.</summary>
    private static (string Reason, string Message)? Invalid(JsonElement? body, string family)
    {
        if (body is not { ValueKind: JsonValueKind.Object } root)
        {
            return ("BadRequest", "bad request");
        }

        var model = Text(root, "model");
        if (string.IsNullOrEmpty(model))
        {
            return ("FieldLacking", "field is missing or empty: model");
        }

        var prompt = Text(root, "prompt");
        if (family == "text2video" && string.IsNullOrWhiteSpace(prompt))
        {
            return ("FieldLacking", "field is missing or empty: prompt");
        }

        if (prompt?.Length > 5000)
        {
            return ("FieldInvalid", "field is invalid: prompt");
        }

        var (durations, resolutions, ratios) = Accepted(model);
        if (root.TryGetProperty("duration", out var d) && (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out var seconds) || !durations.Contains(seconds)))
        {
            return ("FieldInvalid", $"field is invalid: duration (accepted for {model}: {string.Join(", ", durations)})");
        }

        if (root.TryGetProperty("resolution", out var r) && !resolutions.Contains(r.GetString()))
        {
            return ("FieldInvalid", $"field is invalid: resolution (accepted for {model}: {string.Join(", ", resolutions)})");
        }

        if (root.TryGetProperty("aspect_ratio", out var a) && (family != "text2video" || !ratios.Contains(a.GetString())))
        {
            return family == "text2video" ? ("FieldInvalid", "field is invalid: aspect_ratio") : ("FieldUnwanted", "unwanted field: aspect_ratio");
        }

        var images = root.TryGetProperty("images", out var i) && i.ValueKind == JsonValueKind.Array ? i.EnumerateArray().ToList() : null;
        var wanted = family switch { "img2video" => 1, "start-end2video" => 2, _ => 0 };
        if (wanted == 0)
        {
            return images is null ? null : ("FieldUnwanted", "unwanted field: images");
        }

        if (images is null || images.Count != wanted)
        {
            return ("FieldItemCountOutOfRange", $"count out of range: images (exactly {wanted})");
        }

        return images.All(IsImage) ? null : ("ImageFormatInvalid", "image format invalid: a URL or data:image/...;base64,... is required");
    }

    private static (int[] Durations, string[] Resolutions, string[] Ratios) Accepted(string model)
    {
        string[] three = ["16:9", "9:16", "1:1"], five = ["16:9", "9:16", "1:1", "4:3", "3:4"];
        return model switch
        {
            _ when model.StartsWith("viduq3", StringComparison.Ordinal) => ([.. Enumerable.Range(1, 16)], ["540p", "720p", "1080p"], five),
            _ when model.StartsWith("viduq1", StringComparison.Ordinal) => ([5], ["1080p"], three),
            _ when model.StartsWith("vidu1.5", StringComparison.Ordinal) || model.StartsWith("vidu2.0", StringComparison.Ordinal) => ([4, 8], ["360p", "720p", "1080p"], three),
            _ => ([.. Enumerable.Range(1, 10)], ["540p", "720p", "1080p"], five),
        };
    }

    private static bool IsImage(JsonElement image)
    {
        if (image.GetString() is not { Length: > 0 } text)
        {
            return false;
        }

        if (text.StartsWith("https://", StringComparison.Ordinal) || text.StartsWith("http://", StringComparison.Ordinal))
        {
            return true;
        }

        // Base64 must carry its content type: data:image/png;base64,....
        var comma = text.IndexOf(',', StringComparison.Ordinal);
        return text.StartsWith("data:image/", StringComparison.Ordinal) && comma > 0 && text[..comma].EndsWith(";base64", StringComparison.Ordinal)
               && Convert.TryFromBase64String(text[(comma + 1)..], new byte[text.Length], out _);
    }

    private static string? Text(JsonElement root, string name)
        => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int Duration(JsonElement root) => root.TryGetProperty("duration", out var d) && d.TryGetInt32(out var s) ? s : 5;

    /// <summary>The fake's price: two credits a second.</summary>
    private static int Credits(JsonElement root) => Duration(root) * 2;

    private static Task ErrorAsync(HttpContext http, int status, string reason, string message)
        => WriteJsonAsync(http, status, $$$"""{"code":{{{status}}},"reason":"{{{reason}}}","message":{{{Quote(message)}}},"metadata":{"trace_id":"{{{Guid.NewGuid():N}}}"}}""");
}
