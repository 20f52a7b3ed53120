using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Vidgate.Fakes;

/// <summary>
/// MiniMax Hailuo video API v1 as vendors.md part B §2 documents it: <c>POST /v1/video_generation</c> (images as a public
/// URL or a <c>data:image/…;base64,</c> URL in <c>first_frame_image</c>/<c>last_frame_image</c>; <c>duration</c> 6 or 10,
/// 1080P at 6 s only; <c>resolution</c> per model), <c>GET /v1/query/video_generation?task_id=</c> walking
/// <c>Queueing → Processing → Success</c> (a string <c>file_id</c>) or <c>Fail</c> with the reason in <c>base_resp</c>, and
/// <c>GET /v1/files/retrieve?file_id=</c> answering the <c>download_url</c> (plain CDN, 9 hours). Every answer carries
/// <c>base_resp</c>, errors with HTTP 200 as MiniMax does: a wrong key is 2049, none 1004, invalid params 2013 (also an
/// unknown task or file), input moderation 1026 (<c>[fake:reject]</c>), output moderation a <c>Fail</c> with 1027
/// (<c>[fake:moderation]</c>), throttling 1002 (HTTP 429 when a <c>Retry-After</c> is queued, else HTTP 200), 1000 for a
/// 5xx. There is no cancel.
/// </summary>
public sealed class FakeMinimax : FakeVendor
{
    private static readonly TimeSpan Retention = TimeSpan.FromHours(9);
    private long _nextId = 106916112215000;

    private FakeMinimax(FakeVendorOptions options)
        : base(options)
    {
    }

    public static async Task<FakeMinimax> StartAsync(FakeVendorOptions? options = null, int port = 0, CancellationToken ct = default)
    {
        var fake = new FakeMinimax(options ?? new FakeVendorOptions { ApiKey = $"eyJminimax{Guid.NewGuid():N}" });
        await fake.StartHostAsync(port, ct);
        return fake;
    }

    protected override void Map(WebApplication app)
    {
        app.MapPost("/v1/video_generation", SubmitAsync);
        app.MapGet("/v1/query/video_generation", PollAsync);
        app.MapGet("/v1/files/retrieve", RetrieveAsync);
        app.MapGet("/_cdn/{id}.mp4", (HttpContext http, string id) => ServeVideoAsync(http, id, Retention));
    }

    protected override Task WriteFaultAsync(HttpContext http, VendorFault fault) => fault switch
    {
        VendorFault.ServerError => ErrorAsync(http, 500, 1000, "unknown error" + Echo(Bearer(http))),
        VendorFault.RateLimitedBare => ErrorAsync(http, 200, 1002, "rate limit"),
        _ => ErrorAsync(http, 429, 1002, "rate limit"),
    };

    private async Task SubmitAsync(HttpContext http)
    {
        var body = await RecordAsync(http);
        if (await AuthAsync(http) || await FaultAsync(http, submit: true))
        {
            return;
        }

        if (Invalid(body) is { } problem)
        {
            await ErrorAsync(http, 200, 2013, "invalid params, " + problem);
            return;
        }

        var prompt = body!.Value.TryGetProperty("prompt", out var p) ? p.GetString() ?? "" : "";
        if (prompt.Contains("[fake:reject]", StringComparison.Ordinal))
        {
            await ErrorAsync(http, 200, 1026, "input new_sensitive" + Echo(Bearer(http)));
            return;
        }

        var id = Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
        var job = NewJob(id, prompt, body.Value);
        StartCallbacks(job, Field(body, "callback_url"));
        await WriteJsonAsync(http, 200, $$$"""{"task_id":"{{{id}}}","base_resp":{"status_code":0,"status_msg":"success"}}""");
    }

    /// <summary>Callbacks whose URL did not echo the challenge (MiniMax then sends none).</summary>
    public int ChallengesFailed => Volatile.Read(ref _challengesFailed);

    private int _challengesFailed;

    /// <summary>vendors.md §2.5: first <c>{"challenge": …}</c>, which the URL must echo, then notices with lower-case statuses.</summary>
    protected override async Task<bool> VerifyCallbackUrlAsync(string url, CancellationToken ct)
    {
        var challenge = Guid.NewGuid().ToString("N");
        var (status, answer) = await PostCallbackAsync(url, $$"""{"challenge":"{{challenge}}"}""", ct);
        bool echoed;
        try
        {
            echoed = status == 200 && System.Text.Json.JsonDocument.Parse(answer).RootElement.GetProperty("challenge").GetString() == challenge;
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            echoed = false;
        }

        if (!echoed)
        {
            Interlocked.Increment(ref _challengesFailed);
        }

        return echoed;
    }

    protected override string? CallbackBody(FakeVendorJob job, bool done)
    {
        var failed = job.Marked("failed") || job.Marked("moderation");
        var status = !done ? "processing" : failed ? "failed" : "success";
        var file = done && !failed ? FileId(job) : "";
        return $$"""{"task_id":"{{job.Id}}","status":"{{status}}","file_id":"{{file}}","base_resp":{"status_code":0,"status_msg":"success"} }""";
    }

    private async Task PollAsync(HttpContext http)
    {
        await RecordAsync(http);
        if (await AuthAsync(http))
        {
            return;
        }

        // Only tasks created under the current account can be queried: anything else is an invalid task_id.
        if (!Jobs.TryGetValue(http.Request.Query["task_id"].ToString(), out var job))
        {
            await ErrorAsync(http, 200, 2013, "invalid params, task_id not found");
            return;
        }

        if (await FaultAsync(http, submit: false))
        {
            return;
        }

        var now = Options.Clock.GetUtcNow();
        string answer;
        if (Running(job))
        {
            var status = now - job.Created < (job.DoneAt - job.Created) / 3 ? "Queueing" : "Processing";
            answer = $$$"""{"task_id":"{{{job.Id}}}","status":"{{{status}}}","file_id":"","base_resp":{"status_code":0,"status_msg":"success"}}""";
        }
        else if (job.Marked("moderation"))
        {
            answer = $$$"""{"task_id":"{{{job.Id}}}","status":"Fail","file_id":"","base_resp":{"status_code":1027,"status_msg":"output new_sensitive"}}""";
        }
        else if (job.Marked("failed"))
        {
            answer = $$$"""{"task_id":"{{{job.Id}}}","status":"Fail","file_id":"","base_resp":{"status_code":1000,"status_msg":{{{Quote("video generation failed" + Echo(Bearer(http)))}}}}}""";
        }
        else
        {
            var (width, height) = Size(job.Body);
            answer = $$$"""{"task_id":"{{{job.Id}}}","status":"Success","file_id":"{{{FileId(job)}}}","video_width":{{{width}}},"video_height":{{{height}}},"base_resp":{"status_code":0,"status_msg":"success"}}""";
        }

        await WriteJsonAsync(http, 200, answer);
    }

    private async Task RetrieveAsync(HttpContext http)
    {
        await RecordAsync(http);
        if (await AuthAsync(http))
        {
            return;
        }

        var fileId = http.Request.Query["file_id"].ToString();
        var job = Jobs.Values.FirstOrDefault(j => FileId(j) == fileId && !Running(j) && !j.Marked("failed") && !j.Marked("moderation"));
        if (job is null)
        {
            await ErrorAsync(http, 200, 2013, "invalid params, file not found");
            return;
        }

        // file_id is a number here, a string in the query answer (as MiniMax has it).
        await WriteJsonAsync(http, 200, $$$"""
            {"file":{"file_id":{{{fileId}}},"bytes":{{{FakeMedia.SmallMp4.Length}}},"created_at":{{{job.DoneAt.ToUnixTimeSeconds()}}},"filename":"output.mp4","purpose":"video_generation","download_url":"{{{BaseUrl.ToString().TrimEnd('/')}}}/_cdn/{{{job.Id}}}.mp4"},"base_resp":{"status_code":0,"status_msg":"success"}}
            """);
    }

    private async Task<bool> AuthAsync(HttpContext http)
    {
        var key = Bearer(http);
        if (string.IsNullOrEmpty(key))
        {
            await ErrorAsync(http, 200, 1004, "not authorized, cookie is missing");
            return true;
        }

        if (key != Options.ApiKey)
        {
            await ErrorAsync(http, 200, 2049, "invalid api key" + Echo(key));
            return true;
        }

        return false;
    }

    private static string? Bearer(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : null;
    }

    private static string FileId(FakeVendorJob job) => (long.Parse(job.Id, CultureInfo.InvariantCulture) + 160000).ToString(CultureInfo.InvariantCulture);

    private static (int Width, int Height) Size(JsonElement body)
        => (body.TryGetProperty("resolution", out var r) ? r.GetString() : "768P") switch
        {
            "1080P" => (1920, 1080),
            "720P" => (1280, 720),
            "512P" => (910, 512),
            _ => (1366, 768),
        };

    /// <summary>The documented rules per model; a model outside the lists is taken like Hailuo 2.3.</summary>
    private static string? Invalid(JsonElement? body)
    {
        if (body is not { ValueKind: JsonValueKind.Object } root)
        {
            return "request body is not a JSON object";
        }

        if (!root.TryGetProperty("model", out var m) || m.ValueKind != JsonValueKind.String)
        {
            return "model is required";
        }

        var model = m.GetString()!;
        var hasImage = root.TryGetProperty("first_frame_image", out var first);
        var prompt = root.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : null;
        if ((!hasImage && string.IsNullOrWhiteSpace(prompt)) || prompt?.Length > 2000)
        {
            return "prompt is required for text-to-video and at most 2000 characters";
        }

        if ((hasImage && !IsImage(first)) || (root.TryGetProperty("last_frame_image", out var last) && !IsImage(last)))
        {
            return "first_frame_image must be a public URL or a data URL (data:image/jpeg;base64,...)";
        }

        var legacy = model.StartsWith("T2V-01", StringComparison.Ordinal) || model.StartsWith("I2V-01", StringComparison.Ordinal) || model.StartsWith("S2V-01", StringComparison.Ordinal);
        string[] resolutions = legacy ? ["720P"] : model.StartsWith("MiniMax-Hailuo-02", StringComparison.Ordinal) ? (hasImage ? ["512P", "768P", "1080P"] : ["768P", "1080P"]) : ["768P", "1080P"];
        var resolution = root.TryGetProperty("resolution", out var r) ? r.GetString() : resolutions.Contains("768P") ? "768P" : resolutions[0];
        if (!resolutions.Contains(resolution))
        {
            return $"resolution must be one of {string.Join(", ", resolutions)} for {model}";
        }

        if (root.TryGetProperty("duration", out var d))
        {
            int[] durations = legacy || resolution == "1080P" ? [6] : [6, 10];
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out var seconds) || !durations.Contains(seconds))
            {
                return $"duration must be {string.Join(" or ", durations)} for {model} at {resolution}";
            }
        }

        return root.TryGetProperty("aspect_ratio", out _) ? "aspect_ratio is not a parameter of video_generation" : null;
    }

    private static bool IsImage(JsonElement value)
        => value.ValueKind == JsonValueKind.String && value.GetString() is { } text
           && (text.StartsWith("https://", StringComparison.Ordinal)
               || (text.StartsWith("data:image/", StringComparison.Ordinal) && text.IndexOf(";base64,", StringComparison.Ordinal) is > 0 and var at
                   && Convert.TryFromBase64String(text[(at + 8)..], new byte[text.Length], out _)));

    private static Task ErrorAsync(HttpContext http, int status, int code, string message)
        => WriteJsonAsync(http, status, $$$"""{"task_id":"","base_resp":{"status_code":{{{code}}},"status_msg":{{{Quote(message)}}}}}""");
}
