using System.Globalization;
using System.Text.Json.Nodes;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Kling;

/// <summary>
/// Kling (vendors.md part B §1): <c>POST {base}/v1/videos/text2video</c> or <c>…/image2video</c> (images as raw base64,
/// no <c>data:</c> prefix), poll <c>GET …/{family}/{task_id}</c> in the family it was created in (kept as the handle's
/// state), download the plain result URL through the SSRF guard. Auth is a JWT signed per request window from the
/// key's two halves (<see cref="KlingToken"/>). Errors carry a service code in the body: 1000–1004 and 1100–1103 are
/// the key's (bad, expired, out of credit, not allowed), 1300/1301 moderation, 1302/1303 throttling. No cancel is documented.
/// </summary>
internal sealed class KlingProvider(UpstreamSettings settings, VendorOptions options, VendorServices services)
    : HttpVendor(settings, services, "Kling", UpstreamAuth.Bearer)
{
    /// <summary>Fields the adapter sets from the request; <c>options.parameters</c> may set the rest (negative_prompt, cfg_scale, camera_control, sound, watermark_info).</summary>
    public static readonly string[] Reserved = ["model_name", "model", "prompt", "image", "image_tail", "duration", "aspect_ratio", "mode", "external_task_id"];

    private const string Text = "text2video";
    private const string Image = "image2video";

    private readonly KlingToken _tokens = new(services.Clock);

    protected override string Credential(string apiKey) => _tokens.For(apiKey);

    protected override IEnumerable<string> Secrets(string apiKey)
        => KlingToken.Split(apiKey) is var (access, secret) ? [apiKey, access, secret] : [apiKey];

    protected override UpstreamSubmit.Rejected? Refuse(UpstreamJob job)
        => job.Images.Count > 2
            ? new UpstreamSubmit.Rejected("unsupported_value", "Kling takes at most two images: the first frame and the last (image_tail).")
            : Plan(job).Refusal;

    /// <summary>Kling POSTs the task (the query shape) to <c>callback_url</c> on every status change (vendors.md §1.5).</summary>
    protected override CallbackPlace? Callbacks => CallbackPlace.Body("callback_url");

    protected override HttpRequestMessage BuildSubmit(UpstreamJob job)
    {
        var (model, fit, _) = Plan(job);
        var body = options.Parameters is { } extra ? JsonNode.Parse(extra.GetRawText())!.AsObject() : [];
        body["model_name"] = model;
        body["prompt"] = job.Task.Prompt;
        body["duration"] = fit!.Seconds.ToString(CultureInfo.InvariantCulture);
        if (KlingModels.Mode(model, fit) is { } mode)
        {
            body["mode"] = mode;
        }

        // Kling keeps external_task_id unique per account: the task id lets an operator find the job in Kling's console.
        body["external_task_id"] = job.IdempotencyKey;
        if (job.Images.Count > 0)
        {
            // image2video has no aspect_ratio: the output follows the image.
            body["image"] = Convert.ToBase64String(job.Images[0].Bytes.Span);
            if (job.Images.Count == 2)
            {
                body["image_tail"] = Convert.ToBase64String(job.Images[1].Bytes.Span);
            }
        }
        else
        {
            body["aspect_ratio"] = fit.Ratio;
        }

        return new HttpRequestMessage(HttpMethod.Post, Endpoint("v1/videos/" + Family(job)))
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
    }

    protected override UpstreamSubmit ParseSubmit(UpstreamReply reply, UpstreamJob job)
        => Read(reply, KlingJson.Default.KlingEnvelope)?.Data?.TaskId is { Length: > 0 } id
            ? new UpstreamSubmit.Accepted(id, Family(job))
            : new UpstreamSubmit.Unavailable($"Kling answered {reply.Code} without a task_id");

    /// <summary>
    /// After a crash between the paid call and storing Kling's id: the task id went out as <c>external_task_id</c>, which
    /// Kling's query path takes in place of <c>task_id</c>, so the job is asked for in both families. Not found in
    /// either means Kling never took it; sending it again is safe, and would be refused as a duplicate if it had.
    /// </summary>
    public override async Task<UpstreamLookup> FindAsync(string idempotencyKey, string apiKey, CancellationToken ct)
    {
        foreach (var family in (string[])[Text, Image])
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Endpoint($"v1/videos/{family}/{Uri.EscapeDataString(idempotencyKey)}"));
            try
            {
                var reply = await Client.CallAsync(request, Credential(apiKey), ct);
                switch (Classify(reply, VendorCall.Poll).Verdict)
                {
                    case Verdict.Accepted when Read(reply, KlingJson.Default.KlingEnvelope)?.Data?.TaskId is { Length: > 0 } id:
                        return new UpstreamLookup.Found(id, family);
                    case Verdict.Gone:
                        continue;
                    default:
                        return new UpstreamLookup.Unknown($"Kling answered {reply.Code} to a lookup");
                }
            }
            catch (Exception ex) when (Client.Fail(ex, ct) is { } reason)
            {
                return new UpstreamLookup.Unknown(reason);
            }
        }

        return new UpstreamLookup.NotFound();
    }

    protected override HttpRequestMessage BuildPoll(UpstreamHandle handle)
        => new(HttpMethod.Get, Endpoint($"v1/videos/{(handle.State == Image ? Image : Text)}/{Uri.EscapeDataString(handle.UpstreamId)}"));

    /// <summary>Kling has no model or account call: a one-item query of the text-to-video task list costs nothing and needs a valid token.</summary>
    protected override (HttpRequestMessage Request, string Checked)? BuildCheck()
        => (new(HttpMethod.Get, Endpoint($"v1/videos/{Text}?pageNum=1&pageSize=1")), $"GET /v1/videos/{Text} (task list query)");

    protected override UpstreamPoll ParsePoll(UpstreamReply reply, UpstreamHandle handle)
    {
        if (Read(reply, KlingJson.Default.KlingEnvelope)?.Data is not { TaskStatus: { } status } task)
        {
            return new UpstreamPoll.Transient("Kling answered a body that is not a task");
        }

        switch (status)
        {
            case "submitted" or "processing":
                // Kling reports no progress.
                return new UpstreamPoll.Running(null);
            case "succeed":
                if (task.TaskResult?.Videos is not [{ Url: { Length: > 0 } url } video, ..])
                {
                    return new UpstreamPoll.Transient("Kling said succeed without a video url");
                }

                var seconds = double.TryParse(video.Duration, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d > 0 ? (int?)Math.Max(1, (int)Math.Round(d)) : null;
                return new UpstreamPoll.Done(seconds, url);
            case "failed":
                // The reason (task_status_msg) is the only sign of output moderation ("risk control").
                return new UpstreamPoll.Failed(
                    IsModeration(task.TaskStatusMsg) ? "moderation_blocked" : "upstream_failed",
                    "The upstream provider failed to generate the video: " + Quote(task.TaskStatusMsg, handle.ApiKey));
            default:
                // Not in Kling's documented four: keep polling (the deadline bounds it).
                return new UpstreamPoll.Running(null);
        }
    }

    /// <summary>Kling's service codes decide; the HTTP status alone only where the body has none.</summary>
    protected override Answer Classify(UpstreamReply reply, VendorCall call)
    {
        var envelope = Read(reply, KlingJson.Default.KlingEnvelope);
        var message = envelope?.Message ?? ErrorText(reply);
        return envelope?.Code switch
        {
            0 when reply.IsSuccess => new Answer(Verdict.Accepted),
            >= 1000 and <= 1004 or >= 1100 and <= 1103 => new Answer(Verdict.BadCredentials, message),
            1200 or 1201 => new Answer(Verdict.Invalid, message),
            1202 or 1203 => new Answer(Verdict.Gone, message),
            1300 or 1301 => new Answer(Verdict.Moderated, message),
            >= 1302 and <= 1304 or >= 5000 and <= 5002 => new Answer(Verdict.RetryLater, message),
            null => ByStatus(reply, message),
            _ => ByStatus(reply, message) is { Verdict: Verdict.Accepted } ? new Answer(Verdict.Invalid, message) : ByStatus(reply, message),
        };
    }

    private static string Family(UpstreamJob job) => job.Images.Count > 0 ? Image : Text;

    protected override Fitted? Delivers(UpstreamJob job) => Plan(job).Fit;

    private (string Model, Fitted? Fit, UpstreamSubmit.Rejected? Refusal) Plan(UpstreamJob job)
    {
        var model = options.ModelFor(job);
        var spec = KlingModels.For(model, options);

        // An image sets the shape of the output: its ratio is not ours to check or snap.
        if (job.Images.Count > 0)
        {
            spec = spec with { Ratios = [job.Task.AspectRatio is { Length: > 0 } r && r.Contains(':', StringComparison.Ordinal) ? r : "16:9"] };
        }

        var (fit, refusal) = ModelFit.Fit(spec, job.Task, options.Strict, model);
        return (model, fit, refusal);
    }
}
