using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Vidgate.Server.Providers.Http;
using Vidgate.Server.Providers.Veo;

namespace Vidgate.Server.Providers.Vertex;

/// <summary>Where an instance's jobs run: <c>options.project_id</c> (else each key's own) and <c>options.location</c>.</summary>
internal sealed record VertexPlace(string? ProjectId, string Location);

/// <summary>
/// Google Veo on Vertex AI (vendors.md §2): <c>POST {base}/v1/projects/{p}/locations/{l}/publishers/google/models/{m}:predictLongRunning</c>
/// with a bearer token from the service-account key (<see cref="VertexToken"/>), poll with
/// <c>POST …/models/{m}:fetchPredictOperation {"operationName"}</c> until <c>done</c>. Without <c>storageUri</c> (which the
/// adapter never sends) the video comes back inline as base64 in the operation: the result is read by fetching the
/// operation once more and decoding it, so that any node can finish the task. No cancel is documented.
/// </summary>
internal sealed class VertexProvider : HttpVendor
{
    /// <summary>Fields the adapter sets (or keeps out: <c>storageUri</c> would move the video to a bucket we do not read).</summary>
    public static readonly string[] Reserved = ["prompt", "image", "referenceImages", "aspectRatio", "resolution", "durationSeconds", "sampleCount", "storageUri"];

    /// <summary>The options this type reads itself, beside the kit's.</summary>
    public static readonly string[] Own = ["project_id", "location"];

    /// <summary>A Veo video is tens of MB, inline as base64 in the finished operation.</summary>
    private const int MaxOperationBytes = 256 << 20;

    private const string Inline = "vertex:inline";

    private readonly VendorOptions _options;
    private readonly VertexPlace _place;
    private readonly VertexToken _tokens;
    private readonly ConcurrentDictionary<string, ServiceAccountKey?> _keys = new(StringComparer.Ordinal);

    public VertexProvider(UpstreamSettings settings, VendorOptions options, VertexPlace place, VendorServices services)
        : base(settings, services, "Vertex", UpstreamAuth.Bearer)
    {
        _options = options;
        _place = place;
        _tokens = new VertexToken(Client, services.Clock, services.Logger);
    }

    protected override int MaxPollBytes => MaxOperationBytes;

    protected override ValueTask<string> CredentialAsync(string apiKey, CancellationToken ct) => _tokens.ForAsync(apiKey, ct);

    /// <summary>The whole key, its private key, and the access token made from it.</summary>
    protected override IEnumerable<string> Secrets(string apiKey)
    {
        IEnumerable<string?> secrets = [apiKey, Key(apiKey)?.PrivateKey, _tokens.Cached(apiKey)];
        return secrets.OfType<string>().Where(s => s.Length > 0);
    }

    protected override UpstreamSubmit.Rejected? Refuse(UpstreamJob job) => Plan(job).Refusal;

    protected override HttpRequestMessage BuildSubmit(UpstreamJob job)
    {
        var (model, fit, _) = Plan(job);
        var body = VeoPredictBody.Build(job, _options.Parameters, fit!, VertexModels.TakesResolution(model));
        body["parameters"]!["sampleCount"] = 1;
        var project = _place.ProjectId ?? Key(job.ApiKey)?.ProjectId ?? "";
        var path = $"v1/projects/{Uri.EscapeDataString(project)}/locations/{Uri.EscapeDataString(_place.Location)}/publishers/google/models/{Uri.EscapeDataString(model)}:predictLongRunning";
        return new HttpRequestMessage(HttpMethod.Post, Endpoint(path))
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
    }

    protected override UpstreamSubmit ParseSubmit(UpstreamReply reply, UpstreamJob job)
        => Read(reply, VertexJson.Default.VertexOperation)?.Name is { Length: > 0 } name && name.StartsWith("projects/", StringComparison.Ordinal) && name.Contains("/operations/", StringComparison.Ordinal)
            ? new UpstreamSubmit.Accepted(name, Plan(job).Fit!.Seconds.ToString(CultureInfo.InvariantCulture))
            : new UpstreamSubmit.Unavailable($"Vertex answered {reply.Code} without an operation name");

    /// <summary>The model's resource (the operation name up to <c>/operations/</c>) answers <c>fetchPredictOperation</c>.</summary>
    protected override HttpRequestMessage BuildPoll(UpstreamHandle handle)
    {
        var resource = handle.UpstreamId[..Math.Max(0, handle.UpstreamId.IndexOf("/operations/", StringComparison.Ordinal))];
        var body = new JsonObject { ["operationName"] = handle.UpstreamId };
        return new HttpRequestMessage(HttpMethod.Post, Endpoint("v1/" + string.Join('/', resource.Split('/').Select(Uri.EscapeDataString)) + ":fetchPredictOperation"))
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
    }

    protected override UpstreamPoll ParsePoll(UpstreamReply reply, UpstreamHandle handle)
    {
        if (Read(reply, VertexJson.Default.VertexOperation) is not { } operation)
        {
            return new UpstreamPoll.Transient("Vertex answered a body that is not an operation");
        }

        if (operation.Done != true)
        {
            return new UpstreamPoll.Running(null);
        }

        if (operation.Error is { } error)
        {
            return new UpstreamPoll.Failed(
                IsModeration(error.Message) ? "moderation_blocked" : "upstream_failed",
                "The upstream provider failed to generate the video: " + Quote(error.Message, handle.ApiKey));
        }

        var response = operation.Response;
        if (response?.Videos is not [var video, ..])
        {
            var reasons = response?.RaiMediaFilteredReasons is { Count: > 0 } r ? string.Join(" ", r) : null;
            return response?.RaiMediaFilteredCount > 0 || reasons is not null
                ? new UpstreamPoll.Failed("moderation_blocked", "The upstream provider's content moderation blocked this video: " + Quote(reasons, handle.ApiKey, "no reason given."))
                : new UpstreamPoll.Transient("Vertex said done without a video");
        }

        if (video.BytesBase64Encoded is not { Length: > 0 })
        {
            return new UpstreamPoll.Failed("upstream_failed",
                $"Vertex wrote the video to Cloud Storage ({Quote(video.GcsUri, handle.ApiKey, "no URI")}); Vidgate reads Veo videos inline only: remove storageUri from the project's or the instance's settings.");
        }

        var seconds = DeliveredSeconds(handle);
        return new UpstreamPoll.Done(seconds, Inline);
    }

    /// <summary>The inline video: the operation is fetched once more (on whichever node finishes) and its base64 decoded.</summary>
    public override async Task<HttpResponseMessage> OpenResultAsync(UpstreamHandle handle, UpstreamPoll.Done done, CancellationToken ct)
    {
        if (done.ResultUrl != Inline)
        {
            return await base.OpenResultAsync(handle, done, ct);
        }

        using var request = BuildPoll(handle);
        var reply = await Client.CallAsync(request, await CredentialAsync(handle.ApiKey, ct), MaxOperationBytes, ct);
        if (!reply.IsSuccess)
        {
            return new HttpResponseMessage(reply.Status);
        }

        var video = Read(reply, VertexJson.Default.VertexOperation)?.Response?.Videos is [var first, ..] ? first : null;
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(video?.BytesBase64Encoded ?? "");
        }
        catch (FormatException)
        {
            bytes = [];
        }

        if (bytes.Length == 0)
        {
            // Answered, yet without the video: a bad gateway, tried again later by the finisher.
            return new HttpResponseMessage(HttpStatusCode.BadGateway);
        }

        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(video!.MimeType is { Length: > 0 } type && type.StartsWith("video/", StringComparison.Ordinal) ? type : "video/mp4");
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }

    /// <summary>Google's envelope: <c>UNAUTHENTICATED</c>, <c>PERMISSION_DENIED</c> and <c>FAILED_PRECONDITION</c> (billing, project approval) are the key's, <c>RESOURCE_EXHAUSTED</c> a rate limit.</summary>
    protected override Answer Classify(UpstreamReply reply, VendorCall call)
    {
        var error = Read(reply, VertexJson.Default.VertexError)?.Error;
        var answer = ByStatus(reply, error?.Message ?? ErrorText(reply));
        if (answer.Verdict == Verdict.Accepted)
        {
            return answer;
        }

        if (error?.Status is "UNAUTHENTICATED" or "PERMISSION_DENIED" or "FAILED_PRECONDITION")
        {
            return answer with { Verdict = Verdict.BadCredentials };
        }

        return error?.Status == "RESOURCE_EXHAUSTED" ? answer with { Verdict = Verdict.RetryLater } : answer;
    }

    private ServiceAccountKey? Key(string apiKey) => _keys.GetOrAdd(apiKey, VertexToken.Parse);

    protected override Fitted? Delivers(UpstreamJob job) => Plan(job).Fit;

    private (string Model, Fitted? Fit, UpstreamSubmit.Rejected? Refusal) Plan(UpstreamJob job)
    {
        var model = _options.ModelFor(job);
        if (job.Images.Count > 1 && !VertexModels.TakesReferenceImages(model))
        {
            return (model, null, new UpstreamSubmit.Rejected("unsupported_value", $"The upstream model {model} takes one image (the first frame); reference images need Veo 3.1."));
        }

        var (fit, refusal) = ModelFit.Fit(VertexModels.For(model, _options), job.Task, _options.Strict, model);
        if (fit is null)
        {
            return (model, null, refusal);
        }

        // Reference images make an 8 s video; 1080p is made at 8 s only on Veo 3.1 (as on the Gemini API).
        if (job.Images.Count > 1 && fit.Seconds != 8 || fit.Resolution > 720 && fit.Seconds != 8 && model.StartsWith("veo-3.1", StringComparison.OrdinalIgnoreCase))
        {
            if (_options.Strict)
            {
                return (model, null, ModelFit.Refuse("seconds", fit.Seconds.ToString(CultureInfo.InvariantCulture), model, [job.Images.Count > 1 ? "8 (with reference images)" : "8 (at 1080p)"]));
            }

            fit = job.Images.Count > 1 ? fit with { Seconds = 8 } : fit with { Resolution = 720 };
        }

        return (model, fit, null);
    }
}
