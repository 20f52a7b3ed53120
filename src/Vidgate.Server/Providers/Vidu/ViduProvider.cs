using System.Globalization;
using System.Text.Json.Nodes;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Vidu;

/// <summary>
/// Vidu (vendors.md part B §5): <c>POST {base}/ent/v2/text2video</c>, <c>…/img2video</c> (one image) or
/// <c>…/start-end2video</c> (two: first and last frame), images as data URIs (<c>data:image/png;base64,…</c>, the form
/// Vidu documents for Base64), <c>Authorization: Token KEY</c>. Poll <c>GET …/ent/v2/tasks/{id}/creations</c>, cancel
/// <c>POST …/ent/v2/tasks/{id}/cancel</c> (only before the job is scheduled). Errors carry a <c>reason</c> word: the
/// key's (<c>Unauthorized</c>, <c>Forbidden</c>, <c>CreditInsufficient</c>), moderation (<c>AuditSubmitIllegal</c>,
/// <c>TaskPromptPolicyViolation</c>, <c>CreationPolicyViolation</c>), throttling (429). The job's <c>credits</c> become
/// the upstream cost when the instance states <c>usd_per_credit</c>.
/// </summary>
internal sealed class ViduProvider(UpstreamSettings settings, VendorOptions options, VendorServices services)
    : HttpVendor(settings, services, "Vidu", UpstreamAuth.WithScheme("Token"))
{
    /// <summary>Fields the adapter sets from the request; <c>options.parameters</c> may set the rest (seed, style, movement_amplitude, bgm, watermark, off_peak).</summary>
    public static readonly string[] Reserved = ["model", "prompt", "images", "duration", "aspect_ratio", "resolution", "callback_url", "payload"];

    private static readonly string[] ModerationReasons = ["AuditSubmitIllegal", "TaskPromptPolicyViolation", "CreationPolicyViolation"];

    protected override UpstreamSubmit.Rejected? Refuse(UpstreamJob job)
        => job.Images.Count > 2
            ? new UpstreamSubmit.Rejected("unsupported_value", "Vidu takes at most two images: the first frame and the last (start-end2video).")
            : Plan(job).Refusal;

    /// <summary>Vidu POSTs the task to <c>callback_url</c> on each status change (vendors.md §5.4).</summary>
    protected override CallbackPlace? Callbacks => CallbackPlace.Body("callback_url");

    protected override HttpRequestMessage BuildSubmit(UpstreamJob job)
    {
        var (model, fit, _) = Plan(job);
        var body = options.Parameters is { } extra ? JsonNode.Parse(extra.GetRawText())!.AsObject() : [];
        body["model"] = model;
        body["prompt"] = job.Task.Prompt;
        body["duration"] = fit!.Seconds;
        body["resolution"] = fit.ResolutionLabel;
        if (job.Images.Count > 0)
        {
            // img2video and start-end2video take no aspect_ratio: the output follows the image.
            body["images"] = new JsonArray([.. job.Images.Select(i => (JsonNode)JsonValue.Create(i.DataUri))]);
        }
        else
        {
            body["aspect_ratio"] = fit.Ratio;
        }

        return new HttpRequestMessage(HttpMethod.Post, Endpoint("ent/v2/" + Family(job)))
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
    }

    protected override UpstreamSubmit ParseSubmit(UpstreamReply reply, UpstreamJob job)
    {
        var created = Read(reply, ViduJson.Default.ViduCreated);
        if (created?.State == "failed")
        {
            // new-api's reading too: a create answered with a failed state took nothing.
            return new UpstreamSubmit.Rejected("upstream_rejected", "The upstream provider rejected the request: " + Quote(ErrorText(reply), job.ApiKey));
        }

        return created?.TaskId is { Length: > 0 } id
            ? new UpstreamSubmit.Accepted(id, Plan(job).Fit!.Seconds.ToString(CultureInfo.InvariantCulture))
            : new UpstreamSubmit.Unavailable($"Vidu answered {reply.Code} without a task_id");
    }

    protected override HttpRequestMessage BuildPoll(UpstreamHandle handle)
        => new(HttpMethod.Get, Endpoint($"ent/v2/tasks/{Uri.EscapeDataString(handle.UpstreamId)}/creations"));

    protected override UpstreamPoll ParsePoll(UpstreamReply reply, UpstreamHandle handle)
    {
        if (Read(reply, ViduJson.Default.ViduTask) is not { State: { } state } task)
        {
            return new UpstreamPoll.Transient("Vidu answered a body that is not a task");
        }

        switch (state)
        {
            case "success":
                if (task.Creations is not [{ Url: { Length: > 0 } url }, ..])
                {
                    return new UpstreamPoll.Transient("Vidu said success without a creation url");
                }

                var seconds = DeliveredSeconds(handle);
                return new UpstreamPoll.Done(seconds, url, options.CostUsdTicks(task.Credits));
            case "failed":
                // err_code is the only reason Vidu gives: one of its error-code words.
                var code = task.ErrCode switch
                {
                    var c when ModerationReasons.Any(r => c?.StartsWith(r, StringComparison.Ordinal) == true) => "moderation_blocked",
                    var c when c?.StartsWith("UserCancelled", StringComparison.Ordinal) == true => "upstream_cancelled",
                    _ => "upstream_failed",
                };
                return new UpstreamPoll.Failed(code, "The upstream provider failed to generate the video: " + Quote(task.ErrCode, handle.ApiKey));
            default:
                // created, queueing, processing, or a word Vidu adds later: keep polling (the deadline bounds it). No progress is documented.
                return new UpstreamPoll.Running(null);
        }
    }

    /// <summary>Vidu's sample sends the id in the body as well as the path.</summary>
    protected override HttpRequestMessage BuildCancel(UpstreamHandle handle)
        => PostJson($"ent/v2/tasks/{Uri.EscapeDataString(handle.UpstreamId)}/cancel", new ViduCancel(handle.UpstreamId), ViduJson.Default.ViduCancel);

    /// <summary>The <c>reason</c> word decides where the HTTP status alone would mislead (credits out is a 400, not a 402).</summary>
    protected override Answer Classify(UpstreamReply reply, VendorCall call)
    {
        var error = Read(reply, ViduJson.Default.ViduError);
        var message = error?.Reason is { } reason ? $"{reason}: {error.Message}" : ErrorText(reply);
        var answer = ByStatus(reply, message);
        return answer.Verdict == Verdict.Accepted ? answer : error?.Reason switch
        {
            "CreditInsufficient" => answer with { Verdict = Verdict.BadCredentials },
            { } r when ModerationReasons.Contains(r) => answer with { Verdict = Verdict.Moderated },
            "ModelUnavailable" => answer with { Verdict = Verdict.Gone },
            "Canceled" or "SystemThrottling" or "TooManyRequests" or "QuotaExceeded" => answer with { Verdict = Verdict.RetryLater },
            _ => answer,
        };
    }

    private static string Family(UpstreamJob job) => job.Images.Count switch
    {
        0 => "text2video",
        1 => "img2video",
        _ => "start-end2video",
    };

    protected override Fitted? Delivers(UpstreamJob job) => Plan(job).Fit;

    private (string Model, Fitted? Fit, UpstreamSubmit.Rejected? Refusal) Plan(UpstreamJob job)
    {
        var model = options.ModelFor(job);
        var spec = ViduModels.For(model, options);

        // An image sets the shape of the output: its ratio is not ours to check or snap.
        if (job.Images.Count > 0)
        {
            spec = spec with { Ratios = [job.Task.AspectRatio is { Length: > 0 } r && r.Contains(':', StringComparison.Ordinal) ? r : "16:9"] };
        }

        var (fit, refusal) = ModelFit.Fit(spec, job.Task, options.Strict, model);
        if (fit is null)
        {
            return (model, null, refusal);
        }

        if (ViduModels.Conflict(model, fit) is { } conflict)
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
