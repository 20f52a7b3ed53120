using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Vidgate.Fakes;

/// <summary>
/// Luma Dream Machine as vendors.md part A §4 and §7 document it: <c>POST /dream-machine/v1/generations/video</c> (and
/// the older <c>/dream-machine/v1/generations</c>) with <c>Authorization: Bearer KEY</c> answers 201 with a Generation;
/// <c>model</c> is required, <c>prompt</c> 3–5000 characters, <c>duration</c> <c>5s</c>|<c>9s</c>, <c>resolution</c>
/// <c>540p</c>|<c>720p</c>|<c>1080p</c>|<c>4k</c>, keyframes <c>{"type": "image", "url": …}</c> with an http(s) URL only
/// (no base64: "currently this is the only way to pass an image"). <c>GET /dream-machine/v1/generations/{id}</c> walks
/// <c>queued → dreaming → completed</c> (<c>assets.video</c> plain) or <c>failed</c> with <c>failure_reason</c>:
/// <c>[fake:reject]</c> "Contains blacklisted words" at once, <c>[fake:moderation]</c> "Frame moderation failed",
/// <c>[fake:failed]</c> "Job failed", an image it could not download "Failed to read user input frames".
/// Model names other than ray-1-6, ray-2 and ray-flash-2 are taken as a newer model with ray-2's values.
/// <c>DELETE …/{id}</c> is 204 and the generation is gone (404) from then on. Errors are <c>{"detail": "…"}</c>.
/// </summary>
public sealed class FakeLuma : FakeVendor
{
    private static readonly TimeSpan Retention = TimeSpan.FromDays(7);
    private static readonly string[] Models = ["ray-1-6", "ray-2", "ray-flash-2"];
    private static readonly string[] Ratios = ["1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"];
    private readonly ConcurrentDictionary<string, bool> _unreadable = new(StringComparer.Ordinal);

    private FakeLuma(FakeVendorOptions options)
        : base(options)
    {
    }

    public static async Task<FakeLuma> StartAsync(FakeVendorOptions? options = null, int port = 0, CancellationToken ct = default)
    {
        var fake = new FakeLuma(options ?? new FakeVendorOptions { ApiKey = "luma-" + Guid.NewGuid().ToString("N") });
        await fake.StartHostAsync(port, ct);
        return fake;
    }

    /// <summary>
    /// How the fake downloads a keyframe URL, as Luma does when it takes a generation; null (the default) checks the
    /// URL's form only. A test that serves the images (the in-process server) sets it to its own client.
    /// </summary>
    public Func<Uri, CancellationToken, Task<HttpResponseMessage>>? FetchImage { get; set; }

    /// <summary>Every keyframe image downloaded: the URL, the bytes (null when the download failed) and their type.</summary>
    public ConcurrentQueue<(Uri Url, byte[]? Bytes, string? MediaType)> Fetched { get; } = new();

    protected override void Map(WebApplication app)
    {
        app.MapPost("/dream-machine/v1/generations", (HttpContext http) => SubmitAsync(http));
        app.MapPost("/dream-machine/v1/generations/video", (HttpContext http) => SubmitAsync(http));
        app.MapGet("/dream-machine/v1/generations/{id}", PollAsync);
        app.MapDelete("/dream-machine/v1/generations/{id}", DeleteAsync);
        app.MapGet("/_cdn/{id}.mp4", (HttpContext http, string id) => ServeVideoAsync(http, id, Retention));
    }

    protected override Task WriteFaultAsync(HttpContext http, VendorFault fault) => fault switch
    {
        VendorFault.ServerError => ErrorAsync(http, 500, "Internal server error"),
        _ => ErrorAsync(http, 429, "Too many requests, please slow down"),
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
            await ErrorAsync(http, 400, problem);
            return;
        }

        var root = body!.Value;
        var prompt = root.TryGetProperty("prompt", out var p) ? p.GetString() ?? "" : "";
        var id = Guid.NewGuid().ToString();
        var job = NewJob(id, prompt, root);
        StartCallbacks(job, Field(root, "callback_url"));
        foreach (var url in Keyframes(root))
        {
            if (!await DownloadAsync(url, http.RequestAborted))
            {
                _unreadable[id] = true;
            }
        }

        await WriteJsonAsync(http, 201, Generation(job, "queued", null, null));
    }

    private async Task PollAsync(HttpContext http, string id)
    {
        await RecordAsync(http);
        if (await AuthAsync(http))
        {
            return;
        }

        if (!Jobs.TryGetValue(id, out var job) || Cancelled.ContainsKey(id))
        {
            await ErrorAsync(http, 404, "Generation not found");
            return;
        }

        if (await FaultAsync(http, submit: false))
        {
            return;
        }

        var share = (Options.Clock.GetUtcNow() - job.Created) / (job.DoneAt - job.Created);
        var answer = job.Marked("reject") ? Generation(job, "failed", "Contains blacklisted words", null)
            : _unreadable.ContainsKey(id) ? Generation(job, "failed", "Failed to read user input frames", null)
            : share < 0.3 ? Generation(job, "queued", null, null)
            : Running(job) ? Generation(job, "dreaming", null, null)
            : job.Marked("moderation") ? Generation(job, "failed", "Frame moderation failed", null)
            : job.Marked("failed") ? Generation(job, "failed", "Job failed" + Echo(http.Request.Headers.Authorization), null)
            : Generation(job, "completed", null, $"{BaseUrl.ToString().TrimEnd('/')}/_cdn/{id}.mp4");
        await WriteJsonAsync(http, 200, answer);
    }

    private async Task DeleteAsync(HttpContext http, string id)
    {
        await RecordAsync(http);
        if (await AuthAsync(http))
        {
            return;
        }

        if (!Jobs.ContainsKey(id) || !Cancelled.TryAdd(id, true))
        {
            await ErrorAsync(http, 404, "Generation not found");
            return;
        }

        http.Response.StatusCode = 204;
    }

    private async Task<bool> DownloadAsync(Uri url, CancellationToken ct)
    {
        if (FetchImage is not { } fetch)
        {
            return true;
        }

        try
        {
            using var response = await fetch(url, ct);
            var type = response.Content.Headers.ContentType?.MediaType;
            var bytes = response.IsSuccessStatusCode ? await response.Content.ReadAsByteArrayAsync(ct) : null;
            Fetched.Enqueue((url, bytes, type));
            return bytes is { Length: > 0 } && type?.StartsWith("image/", StringComparison.Ordinal) == true;
        }
        catch (HttpRequestException)
        {
            Fetched.Enqueue((url, null, null));
            return false;
        }
    }

    private async Task<bool> AuthAsync(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (header == "Bearer " + Options.ApiKey)
        {
            return false;
        }

        await ErrorAsync(http, 401, "Invalid API key is provided" + Echo(header));
        return true;
    }

    private static string? Invalid(JsonElement? body)
    {
        if (body is not { ValueKind: JsonValueKind.Object } root)
        {
            return "Unknown request type";
        }

        // Required since 2025-05; a name the fake does not list is taken as a newer model with ray-2's values.
        if (!root.TryGetProperty("model", out var model) || string.IsNullOrEmpty(model.GetString()))
        {
            return "model is required: one of " + string.Join(", ", Models);
        }

        if (model.GetString() == "ray-1-6" && (root.TryGetProperty("duration", out _) || root.TryGetProperty("resolution", out _)))
        {
            return "duration and resolution are not supported by ray-1-6";
        }

        var frames = root.TryGetProperty("keyframes", out var k) && k.ValueKind == JsonValueKind.Object ? k : (JsonElement?)null;
        var prompt = root.TryGetProperty("prompt", out var p) ? p.GetString() : null;
        if (string.IsNullOrEmpty(prompt) && frames is null)
        {
            return "Prompt is required";
        }

        if (prompt?.Length < 3)
        {
            return "Prompt is too short, minimum length is 3 characters";
        }

        if (prompt?.Length > 5000)
        {
            return "Prompt is too long, maximum length is 5000 characters";
        }

        if (root.TryGetProperty("aspect_ratio", out var ratio) && !Ratios.Contains(ratio.GetString()))
        {
            return "aspect_ratio must be one of " + string.Join(", ", Ratios);
        }

        if (root.TryGetProperty("duration", out var duration) && duration.GetString() is not ("5s" or "9s"))
        {
            return "duration must be 5s or 9s";
        }

        if (root.TryGetProperty("resolution", out var resolution) && resolution.GetString() is not ("540p" or "720p" or "1080p" or "4k"))
        {
            return "resolution must be 540p, 720p, 1080p or 4k";
        }

        if (frames is { } f)
        {
            if (f.EnumerateObject().Any(frame => frame.Name is not ("frame0" or "frame1")))
            {
                return "keyframes takes frame0 and frame1";
            }

            if (!f.EnumerateObject().Any())
            {
                return "No keyframes provided";
            }

            foreach (var frame in f.EnumerateObject().Select(e => e.Value))
            {
                var url = frame.TryGetProperty("url", out var u) ? u.GetString() : null;
                if (!frame.TryGetProperty("type", out var type) || type.GetString() != "image"
                    || !Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("https" or "http"))
                {
                    return "keyframe images must be {\"type\": \"image\", \"url\": <an http(s) URL>}; upload the image to your own CDN";
                }
            }
        }

        return null;
    }

    private static IEnumerable<Uri> Keyframes(JsonElement root)
        => root.TryGetProperty("keyframes", out var k) && k.ValueKind == JsonValueKind.Object
            ? [.. k.EnumerateObject().Select(f => new Uri(f.Value.GetProperty("url").GetString()!))]
            : [];

    /// <summary>vendors.md §4.5: the Generation object, POSTed when dreaming, completed, failed.</summary>
    protected override string? CallbackBody(FakeVendorJob job, bool done)
        => !done ? Generation(job, "dreaming", null, null)
            : job.Marked("failed") || job.Marked("moderation") ? Generation(job, "failed", "generation failed", null)
            : Generation(job, "completed", null, $"{BaseUrl.ToString().TrimEnd('/')}/_cdn/{job.Id}.mp4");

    private static string Generation(FakeVendorJob job, string state, string? failure, string? video)
    {
        var reason = failure is null ? "null" : Quote(failure);
        var assets = video is null ? "null" : "{\"video\":" + Quote(video) + "}";
        var model = Quote(job.Body.GetProperty("model").GetString()!);
        return $$"""
            {"id":"{{job.Id}}","generation_type":"video","state":"{{state}}","failure_reason":{{reason}},"created_at":"{{job.Created.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}}","assets":{{assets}},"model":{{model}},"request":{{job.Body.GetRawText()}}}
            """;
    }

    private static Task ErrorAsync(HttpContext http, int status, string detail)
        => WriteJsonAsync(http, status, $$"""{"detail":{{Quote(detail)}}}""");
}
