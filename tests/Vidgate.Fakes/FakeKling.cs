using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Vidgate.Fakes;

/// <summary>
/// Kling as vendors.md part B §1 documents it: <c>POST /v1/videos/text2video</c> and <c>/v1/videos/image2video</c>
/// (raw base64 images, no <c>data:</c> prefix; no <c>aspect_ratio</c> on image2video; <c>duration</c> a string) with
/// <c>Authorization: Bearer &lt;JWT HS256 {iss, exp, nbf}&gt;</c> checked against the access/secret pair in
/// <see cref="FakeVendorOptions.ApiKey"/> (<c>"ak|sk"</c>): missing → 1001, bad → 1002, <c>nbf</c> ahead → 1003, expired
/// → 1004, all HTTP 401. Every answer is <c>{code, message, request_id, data}</c>; <c>GET /v1/videos/{family}/{task_id}</c>
/// walks <c>submitted → processing → succeed</c> (videos[].url plain, kept 30 days) or <c>failed</c> with
/// <c>task_status_msg</c> (<c>[fake:failed]</c>; <c>[fake:moderation]</c>: risk control). <c>[fake:reject]</c> is input
/// moderation at create (1301, HTTP 400); invalid values are 1201; 429 is 1302 (with <c>Retry-After</c> when queued so)
/// or 1303; 5xx is 5000; a second create with the same <c>external_task_id</c> is 1201. There is no cancel.
/// <c>[fake:submit-hang]</c>: the job is taken but the create's answer never sent (the crash window).
/// </summary>
public sealed class FakeKling : FakeVendor
{
    private static readonly TimeSpan Retention = TimeSpan.FromDays(30);
    private static readonly string[] Ratios = ["16:9", "9:16", "1:1"];
    private long _nextId = 866889456698785000;

    private FakeKling(FakeVendorOptions options)
        : base(options)
    {
    }

    public static async Task<FakeKling> StartAsync(FakeVendorOptions? options = null, int port = 0, CancellationToken ct = default)
    {
        var fake = new FakeKling(options ?? new FakeVendorOptions { ApiKey = $"ak{Guid.NewGuid():N}|sk{Guid.NewGuid():N}" });
        await fake.StartHostAsync(port, ct);
        return fake;
    }

    /// <summary>The account's resource pack is used up: creates answer 429 with code 1102 (not a rate limit: no retry helps).</summary>
    public bool OutOfCredit { get; set; }

    private string Access => Options.ApiKey.Split('|')[0];

    private string Secret => Options.ApiKey.Split('|')[1];

    protected override void Map(WebApplication app)
    {
        app.MapPost("/v1/videos/{family}", SubmitAsync);
        app.MapGet("/v1/videos/{family}/{id}", PollAsync);
        app.MapGet("/_cdn/{id}.mp4", (HttpContext http, string id) => ServeVideoAsync(http, id, Retention));
    }

    protected override Task WriteFaultAsync(HttpContext http, VendorFault fault) => fault switch
    {
        VendorFault.ServerError => ErrorAsync(http, 500, 5000, "internal error"),
        VendorFault.RateLimitedBare => ErrorAsync(http, 429, 1303, "parallel task over resource pack limit"),
        _ => ErrorAsync(http, 429, 1302, "request rate over the platform limit"),
    };

    private async Task SubmitAsync(HttpContext http, string family)
    {
        var body = await RecordAsync(http);
        if (family is not ("text2video" or "image2video"))
        {
            await ErrorAsync(http, 404, 1202, "request method invalid");
            return;
        }

        if (await AuthAsync(http) || await FaultAsync(http, submit: true))
        {
            return;
        }

        if (OutOfCredit)
        {
            await ErrorAsync(http, 429, 1102, "resource pack depleted or expired");
            return;
        }

        if (Invalid(body, family) is { } problem)
        {
            await ErrorAsync(http, 400, 1201, problem);
            return;
        }

        var prompt = body!.Value.TryGetProperty("prompt", out var p) ? p.GetString() ?? "" : "";
        if (prompt.Contains("[fake:reject]", StringComparison.Ordinal))
        {
            await ErrorAsync(http, 400, 1301, "content security policy triggered" + Echo(Access));
            return;
        }

        // external_task_id is unique per account (the duplicate's answer is undocumented: 1201 here).
        if (External(body.Value) is { Length: > 0 } taken && Jobs.Values.Any(j => External(j.Body) == taken))
        {
            await ErrorAsync(http, 400, 1201, "external_task_id already exists");
            return;
        }

        var id = Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var job = NewJob(id, prompt, body.Value, family);
        StartCallbacks(job, Field(body, "callback_url"));
        if (prompt.Contains("[fake:submit-hang]", StringComparison.Ordinal))
        {
            // Taken, but the answer never arrives: the window where a gateway can crash before storing the task_id.
            await Task.Delay(Timeout.Infinite, http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            return;
        }

        var external = body.Value.TryGetProperty("external_task_id", out var e) ? e.GetString() : "";
        var ms = job.Created.ToUnixTimeMilliseconds();
        await WriteJsonAsync(http, 200, $$$"""
            {"code":0,"message":"SUCCEED","request_id":"{{{Guid.NewGuid()}}}","data":{"task_id":"{{{id}}}","task_status":"submitted","task_info":{"external_task_id":{{{Quote(external ?? "")}}}},"created_at":{{{ms}}},"updated_at":{{{ms}}}}}
            """);
    }

    private async Task PollAsync(HttpContext http, string family, string id)
    {
        await RecordAsync(http);
        if (await AuthAsync(http))
        {
            return;
        }

        // The path takes the task_id or the caller's external_task_id; the family must be the one the task was created in.
        var job = Jobs.TryGetValue(id, out var byId) ? byId : Jobs.Values.FirstOrDefault(j => External(j.Body) == id);
        if (job is null || job.Family != family)
        {
            await ErrorAsync(http, 404, 1203, "requested resource does not exist");
            return;
        }

        if (await FaultAsync(http, submit: false))
        {
            return;
        }

        var now = Options.Clock.GetUtcNow();
        string status, extra = "";
        if (Running(job))
        {
            status = now - job.Created < (job.DoneAt - job.Created) / 3 ? "submitted" : "processing";
        }
        else if (job.Marked("failed") || job.Marked("moderation"))
        {
            status = "failed";
            var reason = job.Marked("moderation") ? "Failure to pass the risk control system" : "Video generation failed" + Echo(Access);
            extra = $",\"task_status_msg\":{Quote(reason)}";
        }
        else
        {
            status = "succeed";
            var duration = job.Body.TryGetProperty("duration", out var d) ? d.GetString() : "5";
            extra = $$""","task_result":{"videos":[{"id":"v{{job.Id}}","url":"{{BaseUrl.ToString().TrimEnd('/')}}/_cdn/{{job.Id}}.mp4","duration":"{{duration}}"}]},"final_unit_deduction":"1" """;
        }

        var ms = now.ToUnixTimeMilliseconds();
        await WriteJsonAsync(http, 200, $$$"""
            {"code":0,"message":"SUCCEED","request_id":"{{{Guid.NewGuid()}}}","data":{"task_id":"{{{job.Id}}}","task_status":"{{{status}}}"{{{extra}}},"task_info":{},"created_at":{{{job.Created.ToUnixTimeMilliseconds()}}},"updated_at":{{{ms}}}}}
            """);
    }

    /// <summary>vendors.md §1.5: the task as the query shows it, POSTed on every status change.</summary>
    protected override string? CallbackBody(FakeVendorJob job, bool done)
    {
        var ms = Options.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var failed = job.Marked("failed") || job.Marked("moderation");
        var (status, extra) = !done ? ("processing", "")
            : failed ? ("failed", ",\"task_status_msg\":\"Video generation failed\"")
            : ("succeed", $$""","task_result":{"videos":[{"id":"v{{job.Id}}","url":"{{BaseUrl.ToString().TrimEnd('/')}}/_cdn/{{job.Id}}.mp4","duration":"5"}]}""");
        return $$"""{"task_id":"{{job.Id}}","task_status":"{{status}}"{{extra}},"created_at":{{job.Created.ToUnixTimeMilliseconds()}},"updated_at":{{ms}},"final_unit_deduction":"1","task_info":{"external_task_id":{{Quote(External(job.Body) ?? "")}} } }""";
    }

    /// <summary>Verifies the JWT as Kling does; true when it is refused (and the refusal was written).</summary>
    private async Task<bool> AuthAsync(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            await ErrorAsync(http, 401, 1001, "Authorization is empty");
            return true;
        }

        var parts = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Split('.') : [];
        var expected = parts.Length == 3 ? Sign(parts[0] + "." + parts[1]) : null;
        JsonElement claims = default;
        if (expected is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(parts[2]))
            || !TryClaims(parts[1], out claims) || !claims.TryGetProperty("iss", out var iss) || iss.GetString() != Access)
        {
            await ErrorAsync(http, 401, 1002, "Authorization is invalid" + Echo(header));
            return true;
        }

        var now = Options.Clock.GetUtcNow().ToUnixTimeSeconds();
        if (claims.TryGetProperty("nbf", out var nbf) && nbf.GetInt64() > now)
        {
            await ErrorAsync(http, 401, 1003, "Authorization is not yet valid");
            return true;
        }

        if (!claims.TryGetProperty("exp", out var exp) || exp.GetInt64() < now)
        {
            await ErrorAsync(http, 401, 1004, "Authorization has expired");
            return true;
        }

        return false;
    }

    private string? Sign(string signed)
    {
        try
        {
            var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.ASCII.GetBytes(signed));
            return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static bool TryClaims(string part, out JsonElement claims)
    {
        claims = default;
        try
        {
            var padded = part.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            claims = JsonDocument.Parse(Convert.FromBase64String(padded)).RootElement.Clone();
            return claims.ValueKind == JsonValueKind.Object;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return false;
        }
    }

    private static string? Invalid(JsonElement? body, string family)
    {
        if (body is not { ValueKind: JsonValueKind.Object } root)
        {
            return "request body is not a JSON object";
        }

        var image = family == "image2video";
        var prompt = root.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : null;
        if (!image && string.IsNullOrWhiteSpace(prompt) || prompt?.Length > 2500)
        {
            return "prompt is required and at most 2500 characters";
        }

        if (root.TryGetProperty("model_name", out var model) && model.ValueKind != JsonValueKind.String)
        {
            return "model_name must be a string";
        }

        var name = model.ValueKind == JsonValueKind.String ? model.GetString()! : "kling-v1";
        if (root.TryGetProperty("duration", out var duration))
        {
            var allowed = name.StartsWith("kling-v3", StringComparison.Ordinal) ? Enumerable.Range(3, 13).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)) : ["5", "10"];
            if (duration.ValueKind != JsonValueKind.String || !allowed.Contains(duration.GetString()))
            {
                return $"duration must be one of the strings {string.Join(", ", allowed)} for {name}";
            }
        }

        if (root.TryGetProperty("mode", out var mode) && mode.GetString() is not ("std" or "pro"))
        {
            return "mode must be std or pro";
        }

        if (root.TryGetProperty("aspect_ratio", out var ratio) && (image || !Ratios.Contains(ratio.GetString())))
        {
            return image ? "aspect_ratio is not a parameter of image2video" : "aspect_ratio must be 16:9, 9:16 or 1:1";
        }

        if (!image)
        {
            return root.TryGetProperty("image", out _) ? "image is not a parameter of text2video" : null;
        }

        var hasImage = root.TryGetProperty("image", out var first);
        var hasTail = root.TryGetProperty("image_tail", out var tail);
        if (!hasImage && !hasTail)
        {
            return "at least one of image and image_tail is required";
        }

        return (hasImage && !IsRawBase64(first)) || (hasTail && !IsRawBase64(tail))
            ? "image must be a URL or Base64 without any prefix like data:image/png;base64,"
            : null;
    }

    private static string? External(JsonElement body)
        => body.TryGetProperty("external_task_id", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    private static bool IsRawBase64(JsonElement value)
        => value.GetString() is { Length: > 0 } text
           && (text.StartsWith("https://", StringComparison.Ordinal) || (!text.StartsWith("data:", StringComparison.Ordinal) && Convert.TryFromBase64String(text, new byte[text.Length], out _)));

    private static Task ErrorAsync(HttpContext http, int status, int code, string message)
        => WriteJsonAsync(http, status, $$"""{"code":{{code}},"message":{{Quote(message)}},"request_id":"{{Guid.NewGuid()}}"}""");
}
