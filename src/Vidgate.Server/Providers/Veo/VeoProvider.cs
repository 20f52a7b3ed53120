using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Veo;

/// <summary>
/// Google Veo through the Gemini API (vendors.md §1): <c>POST {base}/v1beta/models/{model}:predictLongRunning</c> with
/// <c>x-goog-api-key</c>, poll the operation <c>GET {base}/v1beta/{name}</c> until <c>done</c>, download the sample's
/// file URI with the key (it redirects to the bytes). No cancel is documented. Length, size and ratio are snapped per
/// model (<see cref="VeoModels"/>); the delivered length rides in the handle's state, since the operation does not say it.
/// </summary>
internal sealed class VeoProvider(UpstreamSettings settings, VendorOptions options, VendorServices services)
    : HttpVendor(settings, services, "Veo", UpstreamAuth.InHeader("x-goog-api-key"))
{
    /// <summary>Fields the adapter sets from the request; <c>options.parameters</c> may set the rest (negativePrompt, personGeneration, …).</summary>
    public static readonly string[] Reserved = ["prompt", "image", "aspectRatio", "resolution", "durationSeconds", "sampleCount"];

    protected override UpstreamSubmit.Rejected? Refuse(UpstreamJob job) => Plan(job).Refusal;

    protected override HttpRequestMessage BuildSubmit(UpstreamJob job)
    {
        var (model, fit, _) = Plan(job);
        var body = VeoPredictBody.Build(job, options.Parameters, fit!, VeoModels.TakesResolution(model));
        return new HttpRequestMessage(HttpMethod.Post, Endpoint($"v1beta/models/{Uri.EscapeDataString(model)}:predictLongRunning"))
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
    }

    protected override UpstreamSubmit ParseSubmit(UpstreamReply reply, UpstreamJob job)
        => Read(reply, VeoJson.Default.VeoOperation)?.Name is { Length: > 0 } name && name.Contains("/operations/", StringComparison.Ordinal)
            ? new UpstreamSubmit.Accepted(name, Plan(job).Fit!.Seconds.ToString(CultureInfo.InvariantCulture))
            : new UpstreamSubmit.Unavailable($"Veo answered {reply.Code} without an operation name");

    /// <summary>The operation name is a path (<c>models/{m}/operations/{id}</c>): each segment escaped, the slashes kept.</summary>
    protected override HttpRequestMessage BuildPoll(UpstreamHandle handle)
        => new(HttpMethod.Get, Endpoint("v1beta/" + string.Join('/', handle.UpstreamId.Split('/').Select(Uri.EscapeDataString))));

    /// <summary>The Gemini API's model list, one entry: free, and a 400 <c>API_KEY_INVALID</c> or 403 for a bad key.</summary>
    protected override (HttpRequestMessage Request, string Checked)? BuildCheck() => (new(HttpMethod.Get, Endpoint("v1beta/models?pageSize=1")), "GET /v1beta/models");

    protected override UpstreamPoll ParsePoll(UpstreamReply reply, UpstreamHandle handle)
    {
        if (Read(reply, VeoJson.Default.VeoOperation) is not { } operation)
        {
            return new UpstreamPoll.Transient("Veo answered a body that is not an operation");
        }

        if (operation.Done != true)
        {
            // No progress is documented for Veo operations.
            return new UpstreamPoll.Running(null);
        }

        if (operation.Error is { } error)
        {
            return new UpstreamPoll.Failed(
                IsModeration(error.Message) ? "moderation_blocked" : "upstream_failed",
                "The upstream provider failed to generate the video: " + Quote(error.Message, handle.ApiKey));
        }

        var video = operation.Response?.GenerateVideoResponse;
        if (video?.GeneratedSamples is not [{ Video.Uri: { Length: > 0 } uri }, ..])
        {
            // Done without samples: Google's safety filter took them ("You will not be charged if your video is blocked").
            var reasons = video?.RaiMediaFilteredReasons is { Count: > 0 } r ? string.Join(" ", r) : null;
            return video?.RaiMediaFilteredCount > 0 || reasons is not null
                ? new UpstreamPoll.Failed("moderation_blocked", "The upstream provider's content moderation blocked this video: " + Quote(reasons, handle.ApiKey, "no reason given."))
                : new UpstreamPoll.Transient("Veo said done without a video");
        }

        var seconds = DeliveredSeconds(handle);
        return new UpstreamPoll.Done(seconds, uri);
    }

    /// <summary>The file URI needs the key; it is sent only where the URI is on the instance's own origin.</summary>
    protected override (Uri Url, bool WithKey)? ResultLocation(UpstreamHandle handle, UpstreamPoll.Done done)
        => Uri.TryCreate(done.ResultUrl, UriKind.Absolute, out var url) ? (url, true) : null;

    /// <summary>
    /// Google's envelope: <c>API_KEY_INVALID</c> (a 400) and <c>FAILED_PRECONDITION</c> (billing not enabled, region not
    /// served: the key's account cannot be used) are the key's fault, <c>RESOURCE_EXHAUSTED</c> is a rate limit.
    /// </summary>
    protected override Answer Classify(UpstreamReply reply, VendorCall call)
    {
        var error = Read(reply, VeoJson.Default.VeoError)?.Error;
        var answer = ByStatus(reply, error?.Message ?? ErrorText(reply));
        if (answer.Verdict == Verdict.Accepted)
        {
            return answer;
        }

        var badKey = error?.Details?.Any(d => d.Reason is "API_KEY_INVALID" or "API_KEY_EXPIRED" or "API_KEY_SERVICE_BLOCKED") == true
                     || error?.Status is "UNAUTHENTICATED" or "PERMISSION_DENIED" or "FAILED_PRECONDITION";
        if (badKey)
        {
            return answer with { Verdict = Verdict.BadCredentials };
        }

        return error?.Status == "RESOURCE_EXHAUSTED" ? answer with { Verdict = Verdict.RetryLater } : answer;
    }

    protected override Fitted? Delivers(UpstreamJob job) => Plan(job).Fit;

    private (string Model, Fitted? Fit, UpstreamSubmit.Rejected? Refusal) Plan(UpstreamJob job)
    {
        var model = options.ModelFor(job);
        if (job.Images.Count > 1 && !VeoModels.TakesReferenceImages(model))
        {
            return (model, null, new UpstreamSubmit.Rejected("unsupported_value", $"The upstream model {model} takes one image (the first frame); reference images need Veo 3.1."));
        }

        var (fit, refusal) = ModelFit.Fit(VeoModels.For(model, options), job.Task, options.Strict, model);
        if (fit is null)
        {
            return (model, null, refusal);
        }

        // Reference images make an 8 s video (the documented rule).
        if (job.Images.Count > 1 && fit.Seconds != 8)
        {
            if (options.Strict)
            {
                return (model, null, ModelFit.Refuse("seconds", fit.Seconds.ToString(CultureInfo.InvariantCulture), model, ["8 (with reference images)"]));
            }

            fit = fit with { Seconds = 8 };
        }

        if (VeoModels.Conflict(model, fit) is { } conflict)
        {
            if (options.Strict)
            {
                return (model, null, new UpstreamSubmit.Rejected("unsupported_value", $"resolution {fit.ResolutionLabel} is not accepted by the upstream model {model} here (fit: strict): {conflict}.")
                {
                    Fit = new FitRefusal("resolution", ["720p"], conflict),
                });
            }

            fit = fit with { Resolution = 720 };
        }

        return (model, fit, null);
    }
}
