using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace Vidgate.Fakes;

/// <summary>
/// fal.ai's queue as vendors.md §5 and §7 document it: <c>POST /{model_id}</c> (at least <c>owner/app</c>) with
/// <c>Authorization: Key …</c> → <c>{request_id, status_url, response_url, cancel_url}</c> built on <c>owner/app</c> only;
/// <c>GET /{owner}/{app}/requests/{id}/status</c> → 202 <c>IN_QUEUE</c> (<c>queue_position</c>) then <c>IN_PROGRESS</c>
/// (<c>logs</c>), then 200 <c>COMPLETED</c> (with <c>error</c>/<c>error_type</c> when it failed: <c>[fake:failed]</c>);
/// <c>GET /{owner}/{app}/requests/{id}</c> → the model output <c>{"video": {"url", …}}</c> (a public CDN link kept 7 days),
/// or (<c>[fake:moderation]</c>) a 422 <c>detail[]</c> of type <c>content_policy_violation</c>; <c>PUT …/cancel</c> → 202
/// <c>CANCELLATION_REQUESTED</c>, 400 <c>ALREADY_COMPLETED</c>, 404 <c>NOT_FOUND</c>. Input is checked against the Kling and
/// Veo 3 schemas (a 422 <c>detail[]</c> at submit); images must be URLs or data URIs. A missing or wrong key is 401, a
/// locked (unpaid) account 403; 429 and 500 carry <c>{"detail": …}</c>. No model moderates a prompt at submit.
/// Webhooks are signed as fal signs them (vendors.md §5.8: Ed25519 over request id, user id, timestamp and the body's
/// SHA-256 hex, joined by newlines) with the fake's own key, published as a JWKS at <c>/.well-known/jwks.json</c>.
/// </summary>
public sealed class FakeFal : FakeVendor
{
    private static readonly TimeSpan Retention = TimeSpan.FromDays(7);
    private int _jwksFetches;

    private FakeFal(FakeVendorOptions options)
        : base(options)
    {
    }

    public static async Task<FakeFal> StartAsync(FakeVendorOptions? options = null, int port = 0, CancellationToken ct = default)
    {
        var fake = new FakeFal(options ?? new FakeVendorOptions { ApiKey = $"{Guid.NewGuid():N}:{Guid.NewGuid():N}" });
        await fake.StartHostAsync(port, ct);
        return fake;
    }

    /// <summary>The key this fake signs its webhooks with (a test signs forgeries with another one).</summary>
    public Ed25519PrivateKeyParameters WebhookKey { get; } = NewWebhookKey();

    /// <summary>The <c>X-Fal-Webhook-User-Id</c> this fake's account has.</summary>
    public string UserId { get; } = "user_" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Where this fake publishes its webhook public key (fal: <c>https://rest.alpha.fal.ai/.well-known/jwks.json</c>).</summary>
    public string JwksUrl => BaseUrl.ToString().TrimEnd('/') + "/.well-known/jwks.json";

    /// <summary>The public key as the JWKS's <c>x</c> (base64url, no padding).</summary>
    public string PublicKeyX => Base64Url(WebhookKey.GeneratePublicKey().GetEncoded());

    /// <summary>JWKS fetches served.</summary>
    public int JwksFetches => Volatile.Read(ref _jwksFetches);

    /// <summary>The account's balance is used up: every call answers 403 "User is locked".</summary>
    public bool Locked { get; set; }

    protected override void Map(WebApplication app)
    {
        app.MapGet("/_cdn/{id}.mp4", (HttpContext http, string id) => ServeVideoAsync(http, id, Retention));
        app.MapGet("/.well-known/jwks.json", (HttpContext http) =>
        {
            Interlocked.Increment(ref _jwksFetches);
            return WriteJsonAsync(http, 200, $$"""{"keys":[{"kty":"OKP","crv":"Ed25519","x":"{{PublicKeyX}}","alg":"EdDSA","use":"sig"}]}""");
        });
        app.MapGet("/{owner}/{app}/requests/{id}/status", StatusAsync);
        app.MapGet("/{owner}/{app}/requests/{id}", ResultAsync);
        app.MapPut("/{owner}/{app}/requests/{id}/cancel", CancelAsync);
        app.MapPost("/{**model}", SubmitAsync);
    }

    protected override Task WriteFaultAsync(HttpContext http, VendorFault fault) => fault switch
    {
        VendorFault.ServerError => WriteJsonAsync(http, 500, """{"detail":"Internal Server Error"}"""),
        _ => WriteJsonAsync(http, 429, """{"detail":"Rate limit exceeded. Please slow down."}"""),
    };

    /// <summary>vendors.md §5.8: one POST when the request is done (its result as <c>payload</c>), none while it runs.</summary>
    protected override string? CallbackBody(FakeVendorJob job, bool done)
        => !done ? null
            : job.Marked("failed") || job.Marked("moderation")
                ? $$"""{"request_id":"{{job.Id}}","gateway_request_id":"{{job.Id}}","status":"ERROR","error":"Invalid status code: 422","payload":{"detail":"generation failed"} }"""
                : $$"""{"request_id":"{{job.Id}}","gateway_request_id":"{{job.Id}}","status":"OK","payload":{"video":{"url":"{{BaseUrl.ToString().TrimEnd('/')}}/_cdn/{{job.Id}}.mp4","content_type":"video/mp4"} } }""";

    protected override void SignCallback(HttpRequestMessage request, string body)
    {
        var requestId = body.Split("\"request_id\":\"")[1].Split('"')[0];
        var timestamp = Options.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        request.Headers.Add("X-Fal-Webhook-Request-Id", requestId);
        request.Headers.Add("X-Fal-Webhook-User-Id", UserId);
        request.Headers.Add("X-Fal-Webhook-Timestamp", timestamp);
        request.Headers.Add("X-Fal-Webhook-Signature", Sign(WebhookKey, requestId, UserId, timestamp, Encoding.UTF8.GetBytes(body)));
    }

    /// <summary>fal's webhook signature of <paramref name="body"/>: hex Ed25519 of <c>request_id\nuser_id\ntimestamp\nsha256_hex(body)</c>.</summary>
    public static string Sign(Ed25519PrivateKeyParameters key, string requestId, string userId, string timestamp, byte[] body)
    {
        var message = Encoding.UTF8.GetBytes($"{requestId}\n{userId}\n{timestamp}\n{Convert.ToHexStringLower(SHA256.HashData(body))}");
        var signer = new Ed25519Signer();
        signer.Init(true, key);
        signer.BlockUpdate(message, 0, message.Length);
        return Convert.ToHexStringLower(signer.GenerateSignature());
    }

    public static Ed25519PrivateKeyParameters NewWebhookKey() => new(new SecureRandom());

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private async Task SubmitAsync(HttpContext http, string model)
    {
        var body = await RecordAsync(http);
        if (await AuthAsync(http))
        {
            return;
        }

        if (model.Split('/', StringSplitOptions.RemoveEmptyEntries).Length < 2)
        {
            await WriteJsonAsync(http, 404, """{"detail":"Application not found"}""");
            return;
        }

        if (await FaultAsync(http, submit: true))
        {
            return;
        }

        if (Invalid(body, model) is { } problem)
        {
            await WriteJsonAsync(http, 422, $$"""{"detail":[{"loc":["body",{{Quote(problem.Field)}}],"msg":{{Quote(problem.Message)}},"type":"{{problem.Type}}"}]}""");
            return;
        }

        var id = Guid.NewGuid().ToString();
        var app = string.Join('/', model.Split('/', StringSplitOptions.RemoveEmptyEntries).Take(2));
        var job = NewJob(id, body!.Value.GetProperty("prompt").GetString()!, body.Value, app);
        StartCallbacks(job, http.Request.Query["fal_webhook"].ToString());
        var root = $"{BaseUrl.ToString().TrimEnd('/')}/{app}/requests/{id}";
        await WriteJsonAsync(http, 200, $$"""
            {"status":"IN_QUEUE","request_id":"{{id}}","response_url":"{{root}}","status_url":"{{root}}/status","cancel_url":"{{root}}/cancel","queue_position":0}
            """);
    }

    private async Task StatusAsync(HttpContext http, string owner, string app, string id)
    {
        await RecordAsync(http);
        if (await AuthAsync(http))
        {
            return;
        }

        if (!Jobs.TryGetValue(id, out var job) || job.Family != owner + "/" + app)
        {
            await WriteJsonAsync(http, 404, """{"detail":"Request not found"}""");
            return;
        }

        if (await FaultAsync(http, submit: false))
        {
            return;
        }

        var root = $"{BaseUrl.ToString().TrimEnd('/')}/{job.Family}/requests/{id}";
        var now = Options.Clock.GetUtcNow();
        if (Running(job))
        {
            var queued = now - job.Created < (job.DoneAt - job.Created) / 3;
            await WriteJsonAsync(http, 202, queued
                ? $$"""{"status":"IN_QUEUE","request_id":"{{id}}","response_url":"{{root}}","queue_position":0}"""
                : $$"""{"status":"IN_PROGRESS","request_id":"{{id}}","response_url":"{{root}}","logs":[{"message":"Generating video","level":"INFO","source":"user","timestamp":"{{now:O}}"}]}""");
            return;
        }

        var error = job.Marked("failed")
            ? $$""","error":{{Quote("Model inference failed: out of memory" + Echo(http.Request.Headers.Authorization.ToString()))}},"error_type":"runner_server_error" """
            : "";
        await WriteJsonAsync(http, 200, $$"""{"status":"COMPLETED","request_id":"{{id}}","response_url":"{{root}}","logs":[],"metrics":{"inference_time":4.2}{{error}}}""");
    }

    private async Task ResultAsync(HttpContext http, string owner, string app, string id)
    {
        await RecordAsync(http);
        if (await AuthAsync(http))
        {
            return;
        }

        if (!Jobs.TryGetValue(id, out var job) || job.Family != owner + "/" + app)
        {
            await WriteJsonAsync(http, 404, """{"detail":"Request not found"}""");
            return;
        }

        if (Running(job))
        {
            await WriteJsonAsync(http, 400, """{"detail":"Request is still in progress"}""");
        }
        else if (job.Marked("moderation"))
        {
            await WriteJsonAsync(http, 422, $$"""{"detail":[{"loc":["body","prompt"],"msg":"The content was flagged by a content checker.","type":"content_policy_violation","url":"https://docs.fal.ai/errors#content_policy_violation","input":{{Quote(job.Prompt)}},"categories":["violence"]}]}""");
        }
        else if (job.Marked("failed"))
        {
            await WriteJsonAsync(http, 500, """{"detail":"Model inference failed: out of memory"}""");
        }
        else
        {
            await WriteJsonAsync(http, 200, $$"""{"video":{"url":"{{BaseUrl.ToString().TrimEnd('/')}}/_cdn/{{id}}.mp4","content_type":"video/mp4","file_name":"output.mp4","file_size":{{FakeMedia.SmallMp4.Length}}},"seed":42}""");
        }
    }

    private async Task CancelAsync(HttpContext http, string owner, string app, string id)
    {
        await RecordAsync(http);
        if (await AuthAsync(http))
        {
            return;
        }

        if (!Jobs.TryGetValue(id, out var job) || job.Family != owner + "/" + app)
        {
            await WriteJsonAsync(http, 404, """{"status":"NOT_FOUND"}""");
            return;
        }

        if (!Running(job))
        {
            await WriteJsonAsync(http, 400, """{"status":"ALREADY_COMPLETED"}""");
            return;
        }

        Cancelled[id] = true;
        await WriteJsonAsync(http, 202, """{"status":"CANCELLATION_REQUESTED"}""");
    }

    /// <summary>True when the key is missing, wrong or its account locked (and the refusal was written).</summary>
    private async Task<bool> AuthAsync(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Key ", StringComparison.Ordinal))
        {
            await WriteJsonAsync(http, 401, """{"detail":"Authentication is required to access this application."}""");
            return true;
        }

        if (header["Key ".Length..] != Options.ApiKey)
        {
            await WriteJsonAsync(http, 401, $$"""{"detail":{{Quote("Invalid key authorization" + Echo(header))}}}""");
            return true;
        }

        if (Locked)
        {
            await WriteJsonAsync(http, 403, """{"detail":"User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing."}""");
            return true;
        }

        return false;
    }

    /// <summary>The model's schema check, as fal answers it: the field, the message, the error type.</summary>
    private static (string Field, string Message, string Type)? Invalid(JsonElement? body, string model)
    {
        if (body is not { ValueKind: JsonValueKind.Object } root)
        {
            return ("body", "Input should be a valid dictionary", "dict_type");
        }

        if (!root.TryGetProperty("prompt", out var prompt) || prompt.ValueKind != JsonValueKind.String || prompt.GetString()!.Trim().Length == 0)
        {
            return ("prompt", "String should have at least 1 character", "string_too_short");
        }

        var kling = model.StartsWith("fal-ai/kling-video", StringComparison.Ordinal);
        var veo = model.StartsWith("fal-ai/veo3", StringComparison.Ordinal);
        string[] durations = kling ? ["5", "10"] : veo ? ["4s", "6s", "8s"] : [];
        if (durations.Length > 0 && root.TryGetProperty("duration", out var duration) && (duration.ValueKind != JsonValueKind.String || !durations.Contains(duration.GetString())))
        {
            return ("duration", $"Input should be {string.Join(" or ", durations.Select(d => $"'{d}'"))}", "enum");
        }

        if (veo && root.TryGetProperty("resolution", out var resolution) && resolution.GetString() is not ("720p" or "1080p"))
        {
            return ("resolution", "Input should be '720p' or '1080p'", "enum");
        }

        string[] ratios = veo ? ["16:9", "9:16"] : ["16:9", "9:16", "1:1"];
        if (root.TryGetProperty("aspect_ratio", out var ratio) && !ratios.Contains(ratio.GetString()))
        {
            return ("aspect_ratio", $"Input should be {string.Join(" or ", ratios.Select(r => $"'{r}'"))}", "enum");
        }

        var image = model.EndsWith("image-to-video", StringComparison.Ordinal);
        if (image && !root.TryGetProperty("image_url", out _))
        {
            return ("image_url", "Field required", "missing");
        }

        foreach (var field in (string[])["image_url", "tail_image_url"])
        {
            if (root.TryGetProperty(field, out var url) && !IsFile(url))
            {
                return (field, "Input should be a valid URL or data URI", "url_parsing");
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

        if (text.StartsWith("https://", StringComparison.Ordinal) || text.StartsWith("http://", StringComparison.Ordinal))
        {
            return true;
        }

        var comma = text.IndexOf(',', StringComparison.Ordinal);
        return text.StartsWith("data:image/", StringComparison.Ordinal) && comma > 0 && text[..comma].EndsWith(";base64", StringComparison.Ordinal)
               && Convert.TryFromBase64String(text[(comma + 1)..], new byte[text.Length], out _);
    }
}
