using System.Globalization;
using System.Text.Json.Nodes;
using Vidgate.Server.Providers.Http;
using Vidgate.Server.Providers.Media;

namespace Vidgate.Server.Providers.Luma;

/// <summary>
/// Luma Dream Machine (vendors.md part A §4): <c>POST {base}/dream-machine/v1/generations/video</c> (201), poll
/// <c>GET …/generations/{id}</c>, cancel by <c>DELETE …/generations/{id}</c> (204; Luma has no other stop). Images go
/// only as URLs Luma downloads: each is a signed one-hour link of our own under <c>Vidgate:PublicBaseUrl</c>
/// (<see cref="UpstreamImageLinks"/>) as keyframe <c>frame0</c> (and <c>frame1</c> for a last frame); without that
/// setting an image request is refused before anything is sent, naming it. Moderation shows as a failed generation.
/// </summary>
internal sealed class LumaProvider(UpstreamSettings settings, VendorOptions options, VendorServices services, UpstreamImageLinks links)
    : HttpVendor(settings, services, "Luma", UpstreamAuth.Bearer)
{
    /// <summary>Fields the adapter sets from the request; <c>options.parameters</c> may set the rest (loop, concepts).</summary>
    public static readonly string[] Reserved = ["model", "prompt", "keyframes", "aspect_ratio", "resolution", "duration", "generation_type", "callback_url"];

    private const string Root = "dream-machine/v1/generations";

    protected override UpstreamSubmit.Rejected? Refuse(UpstreamJob job)
    {
        if (job.Images.Count > 2)
        {
            return new UpstreamSubmit.Rejected("unsupported_value", "Luma takes at most two images: the first frame and the last.");
        }

        if (job.Images.Count > 0 && !links.Configured)
        {
            return new UpstreamSubmit.Rejected(
                "public_base_url_required",
                $"Luma takes images only as URLs it downloads, and this server has no public address to serve them from: the operator must set {UpstreamImageLinks.Setting} (VIDGATE_PUBLIC_URL), or route image requests to another provider.");
        }

        return Plan(job).Refusal;
    }

    /// <summary>Luma POSTs the generation to <c>callback_url</c> on every change, retrying 3 times on non-200 (vendors.md §4.5).</summary>
    protected override CallbackPlace? Callbacks => CallbackPlace.Body("callback_url");

    protected override HttpRequestMessage BuildSubmit(UpstreamJob job)
    {
        var (model, fit, _) = Plan(job);
        var body = options.Parameters is { } extra ? JsonNode.Parse(extra.GetRawText())!.AsObject() : [];
        body["generation_type"] = "video";
        body["model"] = model;
        body["prompt"] = job.Task.Prompt;
        body["aspect_ratio"] = fit!.Ratio;
        if (LumaModels.TakesLengthAndResolution(model))
        {
            body["duration"] = fit.Seconds.ToString(CultureInfo.InvariantCulture) + "s";
            body["resolution"] = fit.ResolutionLabel;
        }

        if (job.Images.Count > 0)
        {
            var keyframes = new JsonObject();
            for (var i = 0; i < job.Images.Count; i++)
            {
                keyframes["frame" + i.ToString(CultureInfo.InvariantCulture)] = new JsonObject { ["type"] = "image", ["url"] = links.For(job.Task.Id, i).AbsoluteUri };
            }

            body["keyframes"] = keyframes;
        }

        return new HttpRequestMessage(HttpMethod.Post, Endpoint(Root + "/video"))
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
    }

    protected override UpstreamSubmit ParseSubmit(UpstreamReply reply, UpstreamJob job)
        => Read(reply, LumaJson.Default.LumaGeneration)?.Id is { Length: > 0 } id
            ? new UpstreamSubmit.Accepted(id, Plan(job).Fit!.Seconds.ToString(CultureInfo.InvariantCulture))
            : new UpstreamSubmit.Unavailable($"Luma answered {reply.Code} without a generation id");

    protected override HttpRequestMessage BuildPoll(UpstreamHandle handle)
        => new(HttpMethod.Get, Endpoint($"{Root}/{Uri.EscapeDataString(handle.UpstreamId)}"));

    protected override UpstreamPoll ParsePoll(UpstreamReply reply, UpstreamHandle handle)
    {
        if (Read(reply, LumaJson.Default.LumaGeneration) is not { State: { } state } generation)
        {
            return new UpstreamPoll.Transient("Luma answered a body that is not a generation");
        }

        switch (state)
        {
            case "completed":
                if (generation.Assets?.Video is not { Length: > 0 } url)
                {
                    return new UpstreamPoll.Transient("Luma said completed without a video");
                }

                var seconds = DeliveredSeconds(handle);
                return new UpstreamPoll.Done(seconds, url);
            case "failed":
                // "Contains blacklisted words", "Frame moderation failed", "Advanced prompt moderation failed" are Luma's moderation.
                var reason = generation.FailureReason;
                var moderated = IsModeration(reason) || reason?.Contains("blacklisted", StringComparison.OrdinalIgnoreCase) == true;
                return new UpstreamPoll.Failed(moderated ? "moderation_blocked" : "upstream_failed", "The upstream provider failed to generate the video: " + Quote(reason, handle.ApiKey));
            default:
                // queued, dreaming, or a later word: keep polling. Luma documents no progress.
                return new UpstreamPoll.Running(null);
        }
    }

    /// <summary>Luma's only way to stop a generation is to delete it.</summary>
    protected override HttpRequestMessage BuildCancel(UpstreamHandle handle)
        => new(HttpMethod.Delete, Endpoint($"{Root}/{Uri.EscapeDataString(handle.UpstreamId)}"));

    /// <summary>A refusal for want of credits is the key's account's problem (another key may have them), whatever its status.</summary>
    protected override Answer Classify(UpstreamReply reply, VendorCall call)
    {
        var answer = ByStatus(reply, ErrorText(reply));
        return answer.Verdict is Verdict.Invalid && answer.Message?.Contains("credits", StringComparison.OrdinalIgnoreCase) == true
            ? answer with { Verdict = Verdict.BadCredentials }
            : answer;
    }

    protected override Fitted? Delivers(UpstreamJob job) => Plan(job).Fit;

    private (string Model, Fitted? Fit, UpstreamSubmit.Rejected? Refusal) Plan(UpstreamJob job)
    {
        var model = options.ModelFor(job);
        var (fit, refusal) = ModelFit.Fit(LumaModels.For(model, options), job.Task, options.Strict, model);
        return (model, fit, refusal);
    }
}
