using System.Globalization;
using System.Text.Json.Nodes;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.DashScope;

/// <summary>
/// Alibaba Model Studio Wan (vendors.md part B §3): <c>POST {base}/api/v1/services/aigc/video-generation/video-synthesis</c>
/// with <c>X-DashScope-Async: enable</c> (first-and-last-frame models: <c>…/aigc/image2video/video-synthesis</c>), body
/// <c>{model, input{prompt, img_url}, parameters{size | resolution, duration}}</c>; the image as a data URI. Poll
/// <c>GET /api/v1/tasks/{id}</c>; the signed <c>video_url</c> needs no key. Cancel is <c>POST /api/v1/tasks/{id}/cancel</c>,
/// which DashScope honours for <c>PENDING</c> tasks only. Errors are <c>{code, message}</c> with the HTTP status; a task's
/// own failure is HTTP 200 with <c>output.code</c>.
/// </summary>
/// <param name="usdPerSecond">What the operator pays per billed second (<c>options.usd_per_second</c>; Wan's price depends on model and tier, so one instance per price); null records no cost.</param>
internal sealed class DashScopeProvider(UpstreamSettings settings, VendorOptions options, decimal? usdPerSecond, VendorServices services)
    : HttpVendor(settings, services, "DashScope", UpstreamAuth.Bearer)
{
    /// <summary>Fields the adapter sets from the request; <c>options.parameters</c> may set the rest (prompt_extend, watermark, seed, audio, shot_type, negative_prompt).</summary>
    public static readonly string[] Reserved = ["model", "input", "prompt", "img_url", "first_frame_url", "last_frame_url", "size", "resolution", "duration"];

    /// <summary>DashScope reports billed seconds, not money: the instance's price per second turns them into the upstream cost.</summary>
    public const string PriceOption = "usd_per_second";

    /// <summary>Knobs that belong in <c>input</c>, not <c>parameters</c>: an operator lists them in one flat object.</summary>
    private static readonly string[] InputKnobs = ["negative_prompt", "audio_url", "template"];

    protected override UpstreamSubmit.Rejected? Refuse(UpstreamJob job) => Plan(job).Refusal;

    protected override HttpRequestMessage BuildSubmit(UpstreamJob job)
    {
        var (model, planned, _) = Plan(job);
        var fit = planned!;
        var input = new JsonObject { ["prompt"] = job.Task.Prompt };
        var parameters = new JsonObject();
        if (options.Parameters is { } extra)
        {
            foreach (var (name, value) in JsonNode.Parse(extra.GetRawText())!.AsObject())
            {
                (InputKnobs.Contains(name) ? input : parameters)[name] = value?.DeepClone();
            }
        }

        var keyframes = DashScopeModels.IsKeyframes(model);
        if (job.Images.Count == 0)
        {
            parameters["size"] = DashScopeModels.Size(fit);
        }
        else
        {
            // The shape follows the image: image models take a tier, not a size.
            parameters["resolution"] = DashScopeModels.Label(fit.Resolution);
            input[keyframes ? "first_frame_url" : "img_url"] = job.Images[0].DataUri;
            if (keyframes && job.Images.Count == 2)
            {
                input["last_frame_url"] = job.Images[1].DataUri;
            }
        }

        parameters["duration"] = fit.Seconds;
        var body = new JsonObject { ["model"] = model, ["input"] = input, ["parameters"] = parameters };
        var path = keyframes ? "api/v1/services/aigc/image2video/video-synthesis" : "api/v1/services/aigc/video-generation/video-synthesis";
        var request = new HttpRequestMessage(HttpMethod.Post, Endpoint(path))
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };

        // Without it the create is refused: "current user api does not support synchronous calls".
        request.Headers.Add("X-DashScope-Async", "enable");
        return request;
    }

    protected override UpstreamSubmit ParseSubmit(UpstreamReply reply, UpstreamJob job)
        => Read(reply, DashScopeJson.Default.DashScopeAnswer)?.Output?.TaskId is { Length: > 0 } id
            ? new UpstreamSubmit.Accepted(id, Plan(job).Fit!.Seconds.ToString(CultureInfo.InvariantCulture))
            : new UpstreamSubmit.Unavailable($"DashScope answered {reply.Code} without a task_id");

    protected override HttpRequestMessage BuildPoll(UpstreamHandle handle)
        => new(HttpMethod.Get, Endpoint("api/v1/tasks/" + Uri.EscapeDataString(handle.UpstreamId)));

    protected override HttpRequestMessage? BuildCancel(UpstreamHandle handle)
        => new(HttpMethod.Post, Endpoint($"api/v1/tasks/{Uri.EscapeDataString(handle.UpstreamId)}/cancel"));

    protected override UpstreamPoll ParsePoll(UpstreamReply reply, UpstreamHandle handle)
    {
        if (Read(reply, DashScopeJson.Default.DashScopeAnswer) is not { Output.TaskStatus: { } status } answer)
        {
            return new UpstreamPoll.Transient("DashScope answered a body that is not a task");
        }

        var output = answer.Output!;
        switch (status)
        {
            case "PENDING" or "RUNNING":
                // DashScope reports no progress.
                return new UpstreamPoll.Running(null);
            case "SUCCEEDED":
                if (output.VideoUrl is not { Length: > 0 } url)
                {
                    return new UpstreamPoll.Transient("DashScope said SUCCEEDED without a video_url");
                }

                var usage = answer.Usage;
                var billed = usage?.Duration ?? usage?.OutputVideoDuration ?? usage?.VideoDuration;
                var seconds = billed is > 0 ? Math.Max(1, (int)Math.Round(billed.Value)) : DeliveredSeconds(handle);
                return new UpstreamPoll.Done(seconds, url, VendorPrice.Ticks(usdPerSecond, billed, 1m));
            case "FAILED":
                return new UpstreamPoll.Failed(
                    IsModerationCode(output.Code) || IsModeration(output.Message) ? "moderation_blocked" : "upstream_failed",
                    "The upstream provider failed to generate the video: " + Quote(Reason(output.Code, output.Message), handle.ApiKey));
            case "CANCELED":
                return new UpstreamPoll.Failed("upstream_failed", "The upstream provider cancelled the job (DashScope CANCELED).");
            case "UNKNOWN":
                // "The task does not exist or its status is unknown": expired (24 h) or never ours.
                return new UpstreamPoll.Failed("upstream_not_found", "The upstream provider no longer knows this job (DashScope UNKNOWN).");
            default:
                return new UpstreamPoll.Running(null);
        }
    }

    /// <summary>DashScope's <c>code</c> decides where there is one (a moderation refusal is a plain 400); the HTTP status otherwise.</summary>
    protected override Answer Classify(UpstreamReply reply, VendorCall call)
    {
        var body = Read(reply, DashScopeJson.Default.DashScopeAnswer);
        var message = Reason(body?.Code, body?.Message ?? ErrorText(reply));
        var answer = ByStatus(reply, message);
        if (answer.Verdict == Verdict.Accepted || body?.Code is not { Length: > 0 } code)
        {
            return answer;
        }

        return code switch
        {
            "InvalidApiKey" or "Arrearage" => answer with { Verdict = Verdict.BadCredentials },
            _ when code.StartsWith("AccessDenied", StringComparison.Ordinal) => answer with { Verdict = Verdict.BadCredentials },
            _ when IsModerationCode(code) => answer with { Verdict = Verdict.Moderated },
            _ when code.StartsWith("Throttling", StringComparison.Ordinal) || code.StartsWith("InternalError", StringComparison.Ordinal) => answer with { Verdict = Verdict.RetryLater },
            "ModelNotFound" => answer with { Verdict = Verdict.Gone },
            _ when answer.Verdict == Verdict.Moderated => answer with { Verdict = Verdict.Invalid },
            _ => answer,
        };
    }

    private static bool IsModerationCode(string? code) => code is "DataInspectionFailed" or "IPInfringementSuspect";

    private static string? Reason(string? code, string? message) => code is { Length: > 0 } ? $"{code}: {message}" : message;

    protected override Fitted? Delivers(UpstreamJob job) => Plan(job).Fit;

    private (string Model, Fitted? Fit, UpstreamSubmit.Rejected? Refusal) Plan(UpstreamJob job)
    {
        var model = options.ModelFor(job);
        var image = job.Images.Count > 0;
        var keyframes = DashScopeModels.IsKeyframes(model);
        if (job.Images.Count > (keyframes ? 2 : 1))
        {
            return (model, null, new UpstreamSubmit.Rejected("unsupported_value", $"The upstream model {model} takes {(keyframes ? "two images (first and last frame)" : "one image (the first frame)")}; this request has {job.Images.Count}."));
        }

        // Wan's models are either text or image models; the wrong kind is refused by DashScope, so say why here.
        if (image && model.Contains("t2v", StringComparison.OrdinalIgnoreCase))
        {
            return (model, null, new UpstreamSubmit.Rejected("unsupported_value", $"The upstream model {model} is text-to-video and takes no image; the instance's model_map can name an image model: {{\"text\": \"…\", \"image\": \"…\"}}."));
        }

        if (!image && (model.Contains("i2v", StringComparison.OrdinalIgnoreCase) || keyframes))
        {
            return (model, null, new UpstreamSubmit.Rejected("unsupported_value", $"The upstream model {model} is image-to-video and needs an image."));
        }

        var spec = DashScopeModels.For(model, options);
        if (image)
        {
            spec = spec with { Ratios = [job.Task.AspectRatio is { Length: > 0 } r && r.Contains(':', StringComparison.Ordinal) ? r : "16:9"] };
        }

        var (fit, refusal) = ModelFit.Fit(spec, job.Task, options.Strict, model);
        if (fit is null || image)
        {
            return (model, fit, refusal);
        }

        // The 480P tier has no 4:3 or 3:4 size.
        var ratios = DashScopeModels.RatiosAt(fit.Resolution);
        if (!ratios.Contains(fit.Ratio))
        {
            if (options.Strict)
            {
                return (model, null, ModelFit.Refuse("aspect_ratio", job.Task.AspectRatio, model + " at " + DashScopeModels.Label(fit.Resolution), ratios));
            }

            var wanted = job.Task.Width / (double)job.Task.Height;
            fit = fit with { Ratio = ratios.MinBy(r => Math.Abs(Math.Log(ModelFit.RatioValue(r) / wanted)))! };
        }

        return (model, fit, null);
    }
}
