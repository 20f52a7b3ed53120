using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Vidgate.Fakes;

/// <summary>
/// Replicate's predictions API as vendors.md §6 and §7 document it: <c>POST /v1/models/{owner}/{name}/predictions</c>
/// (<c>{input}</c>) and <c>POST /v1/predictions</c> (<c>{version, input}</c>) with <c>Authorization: Bearer</c> → 201 and a
/// prediction with <c>urls</c>; <c>GET /v1/predictions/{id}</c> walks <c>starting → processing</c> (logs with a tqdm bar)
/// <c>→ succeeded</c> (<c>output</c>: one URI string, or a list for models named <c>*-list</c>, on the fake's
/// delivery path, removed after an hour with <c>data_removed: true</c>) or <c>failed</c> with <c>error</c>
/// (<c>[fake:failed]</c>; <c>[fake:moderation]</c>: E005 "flagged as sensitive"); <c>POST …/cancel</c> → the prediction
/// <c>canceled</c>. Errors are problem details: 401 <c>Unauthenticated</c>, 404 for an unknown model or prediction, 422
/// <c>Input validation failed</c> (an empty prompt, an image that is not a URL or data URL, a version not 64 hex digits),
/// 429 <c>{"detail": "Request was throttled…"}</c>, 500. No model moderates a prompt at create.
/// </summary>
public sealed class FakeReplicate : FakeVendor
{
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1);

    private FakeReplicate(FakeVendorOptions options)
        : base(options)
    {
    }

    public static async Task<FakeReplicate> StartAsync(FakeVendorOptions? options = null, int port = 0, CancellationToken ct = default)
    {
        var fake = new FakeReplicate(options ?? new FakeVendorOptions { ApiKey = "r8_" + Guid.NewGuid().ToString("N") });
        await fake.StartHostAsync(port, ct);
        return fake;
    }

    /// <summary>When set, running predictions' progress bars show this percentage (a model's bar can overshoot 100).</summary>
    public int? ReportedPercent { get; set; }

    protected override void Map(WebApplication app)
    {
        app.MapPost("/v1/models/{owner}/{name}/predictions", (HttpContext http, string owner, string name) => CreateAsync(http, owner + "/" + name));
        app.MapPost("/v1/predictions", (HttpContext http) => CreateAsync(http, null));
        app.MapGet("/v1/predictions/{id}", GetAsync);
        app.MapPost("/v1/predictions/{id}/cancel", CancelAsync);
        app.MapGet("/_delivery/{id}/output.mp4", (HttpContext http, string id) => ServeVideoAsync(http, id, Retention));
    }

    protected override Task WriteFaultAsync(HttpContext http, VendorFault fault) => fault switch
    {
        VendorFault.ServerError => ProblemAsync(http, 500, "Internal Server Error", "An unexpected error occurred."),
        _ => WriteJsonAsync(http, 429, """{"detail":"Request was throttled. Your rate limit resets in ~30s."}"""),
    };

    private async Task CreateAsync(HttpContext http, string? model)
    {
        var body = await RecordAsync(http);
        if (await AuthAsync(http) || await FaultAsync(http, submit: true))
        {
            return;
        }

        if (model is not null && model.StartsWith("retired", StringComparison.Ordinal))
        {
            await ProblemAsync(http, 404, "Not found", "The requested resource could not be found.");
            return;
        }

        if (body is not { ValueKind: JsonValueKind.Object } root)
        {
            await ProblemAsync(http, 400, "Bad request", "The request body is not valid JSON.");
            return;
        }

        if (model is null)
        {
            var version = root.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
            if (version.Length != 64 || !version.All(char.IsAsciiHexDigit))
            {
                await ProblemAsync(http, 422, "Invalid version or not permitted", "The specified version does not exist (or perhaps you don't have permission to use it?)");
                return;
            }

            model = "version/" + version[..8];
        }

        if (Invalid(root) is { } problem)
        {
            await WriteJsonAsync(http, 422, $$"""{"detail":{{Quote("- input: " + problem + "\n")}},"status":422,"title":"Input validation failed","invalid_fields":[{"type":"invalid","field":"input","description":{{Quote(problem)}}}]}""");
            return;
        }

        var id = Guid.NewGuid().ToString("N")[..26];
        var job = NewJob(id, root.GetProperty("input").GetProperty("prompt").GetString()!, root, model);
        StartCallbacks(job, Field(root, "webhook"));
        http.Response.Headers.Location = $"{BaseUrl.ToString().TrimEnd('/')}/v1/predictions/{id}";
        await WriteJsonAsync(http, 201, Prediction(job, "starting", "null", null, ""));
    }

    private async Task GetAsync(HttpContext http, string id)
    {
        await RecordAsync(http);
        if (await AuthAsync(http))
        {
            return;
        }

        if (!Jobs.TryGetValue(id, out var job))
        {
            await ProblemAsync(http, 404, "Not found", "The requested resource could not be found.");
            return;
        }

        if (await FaultAsync(http, submit: false))
        {
            return;
        }

        await WriteJsonAsync(http, 200, State(job, http.Request.Headers.Authorization.ToString()));
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
            await ProblemAsync(http, 404, "Not found", "The requested resource could not be found.");
            return;
        }

        // A finished prediction cannot be canceled: the answer is the prediction as it is.
        if (Running(job))
        {
            Cancelled[id] = true;
        }

        await WriteJsonAsync(http, 200, State(job, ""));
    }

    private string State(FakeVendorJob job, string credential)
    {
        var now = Options.Clock.GetUtcNow();
        if (Cancelled.ContainsKey(job.Id))
        {
            return Prediction(job, "canceled", "null", null, "");
        }

        if (Running(job))
        {
            var percent = ReportedPercent ?? (int)(100 * (now - job.Created) / (job.DoneAt - job.Created));
            return now - job.Created < (job.DoneAt - job.Created) / 4
                ? Prediction(job, "starting", "null", null, "")
                : Prediction(job, "processing", "null", null, $"Generating video\n{percent}%|#####     | {percent}/100 [00:05<00:05]\n");
        }

        if (job.Marked("failed"))
        {
            return Prediction(job, "failed", "null", "Prediction failed: CUDA out of memory" + Echo(credential), "");
        }

        if (job.Marked("moderation"))
        {
            return Prediction(job, "failed", "null", "The input or output was flagged as sensitive. Please try again with different inputs. (E005)", "");
        }

        if (now > job.DoneAt + Retention)
        {
            return Prediction(job, "succeeded", "null", null, "", removed: true);
        }

        var url = Quote($"{BaseUrl.ToString().TrimEnd('/')}/_delivery/{job.Id}/output.mp4");
        return Prediction(job, "succeeded", job.Family.EndsWith("-list", StringComparison.Ordinal) ? $"[{url}]" : url, null, "100%|##########| 100/100\n");
    }

    /// <summary>The account's webhook signing secret (<c>GET /v1/webhooks/default/secret</c>), as instances give it in <c>options.webhook_secret</c>.</summary>
    public string WebhookSecret { get; set; } = "whsec_" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));

    /// <summary>vendors.md §6.6: the prediction object, at start and at completion (the only events always sent).</summary>
    protected override string? CallbackBody(FakeVendorJob job, bool done)
        => !done ? Prediction(job, "processing", "null", null, "")
            : job.Marked("failed") || job.Marked("moderation") ? Prediction(job, "failed", "null", "Prediction failed", "")
            : Prediction(job, "succeeded", Quote($"{BaseUrl.ToString().TrimEnd('/')}/_delivery/{job.Id}/output.mp4"), null, "");

    /// <summary>Standard Webhooks: <c>v1,base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))</c>, the key being the secret's base64 part.</summary>
    protected override void SignCallback(HttpRequestMessage request, string body)
    {
        var id = "msg_" + Guid.NewGuid().ToString("N");
        var timestamp = Options.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", timestamp);
        request.Headers.Add("webhook-signature", "v1," + Sign(WebhookSecret, id, timestamp, body));
    }

    /// <summary>The Standard Webhooks signature of <paramref name="body"/> (tests forge with a wrong secret or an old timestamp).</summary>
    public static string Sign(string secret, string id, string timestamp, string body)
        => Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(
            Convert.FromBase64String(secret["whsec_".Length..]), System.Text.Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));

    private string Prediction(FakeVendorJob job, string status, string output, string? error, string logs, bool removed = false)
    {
        var root = $"{BaseUrl.ToString().TrimEnd('/')}/v1/predictions/{job.Id}";
        var input = removed ? "{}" : job.Body.GetProperty("input").GetRawText();
        return $$"""
            {"id":"{{job.Id}}","model":"{{job.Family}}","version":"hidden","input":{{input}},"logs":{{Quote(logs)}},"output":{{output}},"error":{{(error is null ? "null" : Quote(error))}},"status":"{{status}}","created_at":"{{job.Created:O}}","data_removed":{{(removed ? "true" : "false")}},"metrics":{"predict_time":4.2},"urls":{"get":"{{root}}","cancel":"{{root}}/cancel","web":"https://replicate.com/p/{{job.Id}}"
            """ + "}}";
    }

    /// <summary>True when the token is missing or wrong (and the refusal was written).</summary>
    private async Task<bool> AuthAsync(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (header != "Bearer " + Options.ApiKey)
        {
            await ProblemAsync(http, 401, "Unauthenticated", "You did not pass a valid authentication token" + Echo(header));
            return true;
        }

        return false;
    }

    private static string? Invalid(JsonElement root)
    {
        if (!root.TryGetProperty("input", out var input) || input.ValueKind != JsonValueKind.Object)
        {
            return "input is required";
        }

        if (!input.TryGetProperty("prompt", out var prompt) || prompt.ValueKind != JsonValueKind.String || prompt.GetString()!.Trim().Length == 0)
        {
            return "prompt is required";
        }

        if (input.TryGetProperty("duration", out var duration) && duration.ValueKind != JsonValueKind.Number)
        {
            return "duration: Invalid type. Expected: integer";
        }

        foreach (var field in (string[])["image", "start_image", "first_frame_image", "start_image_url"])
        {
            if (input.TryGetProperty(field, out var image) && !IsFile(image))
            {
                return $"{field}: Does not match format 'uri'";
            }
        }

        return null;
    }

    private static bool IsFile(JsonElement value)
    {
        if (value.GetString() is not { Length: > 0 } text)
        {
            return false;
        }

        var comma = text.IndexOf(',', StringComparison.Ordinal);
        return text.StartsWith("https://", StringComparison.Ordinal)
               || (text.StartsWith("data:image/", StringComparison.Ordinal) && comma > 0 && Convert.TryFromBase64String(text[(comma + 1)..], new byte[text.Length], out _));
    }

    private static Task ProblemAsync(HttpContext http, int status, string title, string detail)
    {
        return WriteJsonAsync(http, status, $$"""{"title":{{Quote(title)}},"detail":{{Quote(detail)}},"status":{{status}}}""");
    }
}
