using System.Globalization;
using System.Text.Json.Nodes;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Ark;

/// <summary>
/// Volcengine Ark / BytePlus ModelArk Seedance (vendors.md part B §4): <c>POST {base}/api/v3/contents/generations/tasks</c>
/// with <c>{model, content: [text, image_url…], resolution, ratio, duration}</c> (the top-level fields, strictly
/// validated, not the legacy <c>--rs</c> flags in the text); images as data URIs with a lower-case format, one as the
/// first frame, two as first and last, more as reference images. Poll <c>GET …/tasks/{id}</c>; the pre-signed
/// <c>video_url</c> is fetched byte-exact through the SSRF guard. <c>DELETE …/tasks/{id}</c> cancels a queued task (a
/// running one cannot be stopped). Errors are <c>{"error": {code, message}}</c> with the HTTP status.
/// </summary>
/// <param name="usdPerMillionTokens">What the operator pays Ark per million output tokens (<c>options.usd_per_million_tokens</c>); null records no cost.</param>
internal sealed class ArkProvider(UpstreamSettings settings, VendorOptions options, decimal? usdPerMillionTokens, VendorServices services)
    : HttpVendor(settings, services, "Ark", UpstreamAuth.Bearer)
{
    /// <summary>Fields the adapter sets from the request; <c>options.parameters</c> may set the rest (seed, camera_fixed, watermark, generate_audio, service_tier…).</summary>
    public static readonly string[] Reserved = ["model", "content", "resolution", "ratio", "duration", "frames", "callback_url"];

    /// <summary>Ark bills output tokens, not money: the instance's price per million turns them into the upstream cost.</summary>
    public const string PriceOption = "usd_per_million_tokens";

    /// <summary>Reference images: up to 9 (Seedance 2.0; 1.0 lite takes 4 and says so itself).</summary>
    private const int MaxImages = 9;

    protected override UpstreamSubmit.Rejected? Refuse(UpstreamJob job)
        => job.Images.Count > MaxImages
            ? new UpstreamSubmit.Rejected("unsupported_value", $"Seedance takes at most {MaxImages} reference images.")
            : Plan(job).Refusal;

    /// <summary>Ark POSTs the task (the query shape) to <c>callback_url</c> on every status change (vendors.md, Ark callback).</summary>
    protected override CallbackPlace? Callbacks => CallbackPlace.Body("callback_url");

    protected override HttpRequestMessage BuildSubmit(UpstreamJob job)
    {
        var (model, fit, _) = Plan(job);
        var body = options.Parameters is { } extra ? JsonNode.Parse(extra.GetRawText())!.AsObject() : [];
        var content = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = job.Task.Prompt });
        string[] roles = job.Images.Count switch
        {
            1 => ["first_frame"],
            2 => ["first_frame", "last_frame"],
            _ => [.. job.Images.Select(_ => "reference_image")],
        };
        for (var i = 0; i < job.Images.Count; i++)
        {
            var image = job.Images[i];
            content.Add(new JsonObject
            {
                ["type"] = "image_url",
                ["image_url"] = new JsonObject { ["url"] = $"data:{image.MediaType.ToLowerInvariant()};base64,{Convert.ToBase64String(image.Bytes.Span)}" },
                ["role"] = roles[i],
            });
        }

        body["model"] = model;
        body["content"] = content;
        body["resolution"] = fit!.ResolutionLabel;

        // A first (and last) frame sets the shape: "adaptive" follows the image; reference images do not.
        body["ratio"] = job.Images.Count is 1 or 2 ? "adaptive" : fit.Ratio;
        body["duration"] = fit.Seconds;
        return new HttpRequestMessage(HttpMethod.Post, Endpoint("api/v3/contents/generations/tasks"))
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
    }

    protected override UpstreamSubmit ParseSubmit(UpstreamReply reply, UpstreamJob job)
        => Read(reply, ArkJson.Default.ArkTask)?.Id is { Length: > 0 } id
            ? new UpstreamSubmit.Accepted(id, Plan(job).Fit!.Seconds.ToString(CultureInfo.InvariantCulture))
            : new UpstreamSubmit.Unavailable($"Ark answered {reply.Code} without a task id");

    protected override HttpRequestMessage BuildPoll(UpstreamHandle handle)
        => new(HttpMethod.Get, Endpoint("api/v3/contents/generations/tasks/" + Uri.EscapeDataString(handle.UpstreamId)));

    /// <summary>Cancels a queued task; Ark refuses it for a running one (the job then runs out) and deletes a finished one's record.</summary>
    protected override HttpRequestMessage? BuildCancel(UpstreamHandle handle)
        => new(HttpMethod.Delete, Endpoint("api/v3/contents/generations/tasks/" + Uri.EscapeDataString(handle.UpstreamId)));

    protected override UpstreamPoll ParsePoll(UpstreamReply reply, UpstreamHandle handle)
    {
        if (Read(reply, ArkJson.Default.ArkTask) is not { Status: { } status } task)
        {
            return new UpstreamPoll.Transient("Ark answered a body that is not a task");
        }

        switch (status)
        {
            case "queued" or "running":
                // Ark reports no progress.
                return new UpstreamPoll.Running(null);
            case "succeeded":
                if (task.Content?.VideoUrl is not { Length: > 0 } url)
                {
                    return new UpstreamPoll.Transient("Ark said succeeded without a video_url");
                }

                return new UpstreamPoll.Done(Seconds(task, handle), url, VendorPrice.Ticks(usdPerMillionTokens, task.Usage?.CompletionTokens, 1_000_000m));
            case "failed":
                return new UpstreamPoll.Failed(
                    IsModerationCode(task.Error?.Code) || IsModeration(task.Error?.Message) ? "moderation_blocked" : "upstream_failed",
                    "The upstream provider failed to generate the video: " + Quote(Reason(task.Error), handle.ApiKey));
            case "expired":
                return new UpstreamPoll.Failed("upstream_expired", "The upstream provider did not run the job before its execution_expires_after (Ark expired).");
            case "cancelled":
                return new UpstreamPoll.Failed("upstream_failed", "The upstream provider cancelled the job (Ark cancelled).");
            default:
                return new UpstreamPoll.Running(null);
        }
    }

    /// <summary>Ark's <c>error.code</c> decides where the status alone cannot: its input moderation is a plain 400.</summary>
    protected override Answer Classify(UpstreamReply reply, VendorCall call)
    {
        var error = Read(reply, ArkJson.Default.ArkErrorEnvelope)?.Error;
        var answer = ByStatus(reply, Reason(error) ?? ErrorText(reply));
        if (answer.Verdict == Verdict.Accepted || error?.Code is not { Length: > 0 } code)
        {
            return answer;
        }

        return code switch
        {
            "AuthenticationError" or "AccountOverdueError" or "AccessDenied" => answer with { Verdict = Verdict.BadCredentials },
            _ when IsModerationCode(code) => answer with { Verdict = Verdict.Moderated },
            _ when code.StartsWith("RateLimitExceeded", StringComparison.Ordinal) || code is "QuotaExceeded" or "ServerOverloaded" => answer with { Verdict = Verdict.RetryLater },
            _ when answer.Verdict == Verdict.Moderated => answer with { Verdict = Verdict.Invalid },
            _ => answer,
        };
    }

    private static int? Seconds(ArkTask task, UpstreamHandle handle)
    {
        if (task.Duration is > 0 and var d)
        {
            return d;
        }

        if (task.Frames is > 0 and var f && task.Framespersecond is > 0 and var fps)
        {
            return Math.Max(1, (int)Math.Round(f / (double)fps));
        }

        return DeliveredSeconds(handle);
    }

    /// <summary>Input moderation at create (<c>SensitiveContentDetected…</c>, <c>Input…SensitiveContentDetected</c>) and output moderation of a task (<c>OutputVideoSensitiveContentDetected…</c>).</summary>
    private static bool IsModerationCode(string? code)
        => code is not null && (code.Contains("SensitiveContentDetected", StringComparison.Ordinal) || code.Contains("PolicyViolation", StringComparison.Ordinal));

    private static string? Reason(ArkError? error) => error is null ? null : error.Code is { Length: > 0 } code ? $"{code}: {error.Message}" : error.Message;

    protected override Fitted? Delivers(UpstreamJob job) => Plan(job).Fit;

    private (string Model, Fitted? Fit, UpstreamSubmit.Rejected? Refusal) Plan(UpstreamJob job)
    {
        var model = options.ModelFor(job);
        var spec = ArkModels.For(model, options);

        // A first frame sets the shape of the output: its ratio is not ours to check or snap.
        if (job.Images.Count is 1 or 2)
        {
            spec = spec with { Ratios = [job.Task.AspectRatio is { Length: > 0 } r && r.Contains(':', StringComparison.Ordinal) ? r : "16:9"] };
        }

        var (fit, refusal) = ModelFit.Fit(spec, job.Task, options.Strict, model);
        return (model, fit, refusal);
    }
}
