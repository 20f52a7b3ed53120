using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Vidgate.Fakes;

/// <summary>
/// Google Veo on the Gemini API as vendors.md §1 and §7 document it: <c>POST /v1beta/models/{model}:predictLongRunning</c>
/// with <c>x-goog-api-key</c> → <c>{"name": "models/{model}/operations/{id}"}</c>; <c>GET /v1beta/{name}</c> →
/// <c>done:false</c> until the job ends, then <c>response.generateVideoResponse.generatedSamples[0].video.uri</c>, or
/// (<c>[fake:moderation]</c>) <c>raiMediaFilteredCount</c>/<c>raiMediaFilteredReasons</c> and no samples, or
/// (<c>[fake:failed]</c>) <c>error {code, message}</c>; the file URI needs the key and answers 302 to the bytes, kept
/// 2 days. Errors in Google's envelope: a wrong key is 400 <c>INVALID_ARGUMENT</c> with reason <c>API_KEY_INVALID</c>,
/// no key 403 <c>PERMISSION_DENIED</c>, 429 <c>RESOURCE_EXHAUSTED</c>, 500 <c>INTERNAL</c>, 404 <c>NOT_FOUND</c>
/// (a model named <c>retired-*</c> is "no longer available", as retired Veo previews answer). Fields the
/// SDK refuses on the Gemini API (<c>storageUri</c>, <c>generateAudio</c>, <c>fps</c>, image <c>gcsUri</c>) are 400s.
/// </summary>
public sealed class FakeVeo : FakeVendor
{
    private static readonly TimeSpan Retention = TimeSpan.FromDays(2);
    private static readonly string[] Refused = ["storageUri", "generateAudio", "fps", "pubsubTopic", "mask", "compressionQuality", "resizeMode", "labels"];

    /// <summary>The Gemini API's words and limits: inline images only, Vertex-only parameters refused, 4k on Veo 3.1.</summary>
    private static readonly VeoPredictRules Rules = new(
        "* GenerateVideoRequest.instances[0].prompt: prompt must not be empty.",
        "image must be {bytesBase64Encoded, mimeType}; gcsUri is not supported by the Gemini API.",
        IsImage,
        model => model.StartsWith("veo-2", StringComparison.Ordinal) ? [5, 6, 8] : [4, 6, 8],
        (resolution, model) => model.StartsWith("veo-2", StringComparison.Ordinal)
            ? "resolution is not supported by veo-2."
            : resolution is "720p" or "1080p" or "4k" ? null : "resolution must be 720p, 1080p or 4k.",
        Unsupported: parameters => Refused.FirstOrDefault(name => parameters.TryGetProperty(name, out _)) is { } refused
            ? $"{refused} parameter is not supported in Gemini API."
            : null);

    private FakeVeo(FakeVendorOptions options)
        : base(options)
    {
    }

    public static async Task<FakeVeo> StartAsync(FakeVendorOptions? options = null, int port = 0, CancellationToken ct = default)
    {
        var fake = new FakeVeo(options ?? new FakeVendorOptions { ApiKey = "AIzaFakeVeoKey" + Guid.NewGuid().ToString("N") });
        await fake.StartHostAsync(port, ct);
        return fake;
    }

    protected override void Map(WebApplication app)
    {
        app.MapPost("/v1beta/models/{action}", SubmitAsync);
        app.MapGet("/v1beta/models/{model}/operations/{id}", PollAsync);
        app.MapGet("/v1beta/files/{action}", FileAsync);
        app.MapGet("/_bytes/{id}", (HttpContext http, string id) => ServeVideoAsync(http, id, Retention));
    }

    protected override Task WriteFaultAsync(HttpContext http, VendorFault fault) => fault switch
    {
        VendorFault.ServerError => ErrorAsync(http, 500, "INTERNAL", "An internal error has occurred."),
        _ => ErrorAsync(http, 429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    };

    private async Task SubmitAsync(HttpContext http, string action)
    {
        var body = await RecordAsync(http);
        if (await AuthAsync(http) || await FaultAsync(http, submit: true))
        {
            return;
        }

        const string suffix = ":predictLongRunning";
        if (!action.EndsWith(suffix, StringComparison.Ordinal))
        {
            await ErrorAsync(http, 404, "NOT_FOUND", "Method not found.");
            return;
        }

        var model = action[..^suffix.Length];
        if (model.StartsWith("retired-", StringComparison.Ordinal))
        {
            await ErrorAsync(http, 404, "NOT_FOUND", $"models/{model} is no longer available.");
            return;
        }

        if (VeoPredictCheck.Invalid(body, model, Rules) is { } problem)
        {
            await ErrorAsync(http, 400, "INVALID_ARGUMENT", problem);
            return;
        }

        var prompt = body!.Value.GetProperty("instances")[0].GetProperty("prompt").GetString()!;
        var id = Guid.NewGuid().ToString("N")[..12];
        NewJob(id, prompt, body.Value, model);
        await WriteJsonAsync(http, 200, $$"""{"name":"models/{{model}}/operations/{{id}}"}""");
    }

    private async Task PollAsync(HttpContext http, string model, string id)
    {
        await RecordAsync(http);
        if (await AuthAsync(http))
        {
            return;
        }

        if (!Jobs.TryGetValue(id, out var job) || job.Family != model)
        {
            await ErrorAsync(http, 404, "NOT_FOUND", "Operation not found.");
            return;
        }

        if (await FaultAsync(http, submit: false))
        {
            return;
        }

        var name = $"models/{model}/operations/{id}";
        if (Running(job))
        {
            // Both forms are seen while running: done absent, or done false.
            await WriteJsonAsync(http, 200, job.Seq % 2 == 0 ? $$"""{"name":"{{name}}"}""" : $$"""{"name":"{{name}}","done":false}""");
            return;
        }

        var key = http.Request.Headers["x-goog-api-key"].ToString();
        string json;
        if (job.Marked("failed"))
        {
            json = $$"""{"name":"{{name}}","done":true,"error":{"code":13,"message":{{Quote("Video generation failed." + Echo(key))}}""" + "}}";
        }
        else if (job.Marked("moderation"))
        {
            json = $$"""{"name":"{{name}}","done":true,"response":{"@type":"type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse","generateVideoResponse":{"raiMediaFilteredCount":1,"raiMediaFilteredReasons":["The prompt could not be submitted. This prompt contains words that violate our usage guidelines."]""" + "}}}";
        }
        else
        {
            var uri = $"{BaseUrl.ToString().TrimEnd('/')}/v1beta/files/{id}:download?alt=media";
            json = $$"""{"name":"{{name}}","done":true,"response":{"@type":"type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse","generateVideoResponse":{"generatedSamples":[{"video":{"uri":"{{uri}}"}""" + "}]}}}";
        }

        await WriteJsonAsync(http, 200, json);
    }

    /// <summary>The file URI needs the key (like every Gemini call) and redirects to the bytes.</summary>
    private async Task FileAsync(HttpContext http, string action)
    {
        await RecordAsync(http);
        if (await AuthAsync(http))
        {
            return;
        }

        var id = action.Split(':')[0];
        if (!action.EndsWith(":download", StringComparison.Ordinal) || !Jobs.ContainsKey(id))
        {
            await ErrorAsync(http, 404, "NOT_FOUND", "File not found.");
            return;
        }

        http.Response.StatusCode = 302;
        http.Response.Headers.Location = $"{BaseUrl.ToString().TrimEnd('/')}/_bytes/{id}";
    }

    /// <summary>True when the key is missing or wrong (and the refusal was written).</summary>
    private async Task<bool> AuthAsync(HttpContext http)
    {
        var key = http.Request.Headers["x-goog-api-key"].ToString();
        if (key.Length == 0)
        {
            await ErrorAsync(http, 403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
            return true;
        }

        if (key != Options.ApiKey)
        {
            await ErrorAsync(http, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key." + Echo(key), "API_KEY_INVALID");
            return true;
        }

        return false;
    }

    private static bool IsImage(JsonElement image)
    {
        if (image.ValueKind != JsonValueKind.Object || image.TryGetProperty("gcsUri", out _)
            || !image.TryGetProperty("bytesBase64Encoded", out var bytes) || bytes.GetString() is not { Length: > 0 } data
            || !image.TryGetProperty("mimeType", out var type) || type.GetString()?.StartsWith("image/", StringComparison.Ordinal) != true)
        {
            return false;
        }

        return !data.StartsWith("data:", StringComparison.Ordinal) && Convert.TryFromBase64String(data, new byte[data.Length], out _);
    }

    private static Task ErrorAsync(HttpContext http, int code, string status, string message, string? reason = null)
    {
        var details = reason is null ? "" : $$""","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"{{reason}}","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}""" + "}]";
        return WriteJsonAsync(http, code, $$"""{"error":{"code":{{code}},"message":{{Quote(message)}},"status":"{{status}}"{{details}}""" + "}}");
    }
}
