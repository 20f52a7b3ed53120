using System.Globalization;
using System.Text.Json.Nodes;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Runway;

/// <summary>
/// Runway (vendors.md part A §3): <c>POST {base}/v1/text_to_video</c> or <c>…/v1/image_to_video</c> (images as data
/// URIs, which Runway takes up to 5 MB; a last frame as <c>[{uri, position}]</c> where the model has one), poll
/// <c>GET …/v1/tasks/{id}</c>, cancel <c>DELETE …/v1/tasks/{id}</c>. Every call carries <c>Authorization: Bearer KEY</c>
/// and the API version header. Moderation is a task that fails with a <c>SAFETY.*</c> failure code, never a refused create.
/// </summary>
internal sealed class RunwayProvider(UpstreamSettings settings, VendorOptions options, VendorServices services)
    : HttpVendor(settings, services, "Runway", UpstreamAuth.Bearer)
{
    /// <summary>The version the SDK sends (the only one published); Runway refuses a call without it.</summary>
    public const string ApiVersion = "2024-11-06";

    /// <summary>Fields the adapter sets from the request; <c>options.parameters</c> may set the rest (seed, contentModeration, negativePrompt, audio).</summary>
    public static readonly string[] Reserved = ["model", "promptText", "promptImage", "ratio", "duration", "videoUri"];

    /// <summary>Runway's cap on an image sent as a data URI (larger ones need an upload it has and we do not use).</summary>
    private const int MaxDataUri = 5 * 1024 * 1024;

    protected override UpstreamSubmit.Rejected? Refuse(UpstreamJob job)
    {
        var model = RunwayModels.For(options.ModelFor(job));
        if (job.Images.Count > 2 || (job.Images.Count == 2 && !model.LastFrame))
        {
            return new UpstreamSubmit.Rejected("unsupported_value", $"The upstream model {options.ModelFor(job)} takes {(model.LastFrame ? "at most two images (first and last frame)" : "one image (the first frame)")}.");
        }

        if (job.Images.Count == 0 && model.TextSizes.Length == 0 && !options.Models.ContainsKey(options.ModelFor(job)))
        {
            return new UpstreamSubmit.Rejected("unsupported_value", $"The upstream model {options.ModelFor(job)} makes video from an image only; send an image or route text to gen4.5 or veo3.1.");
        }

        if (job.Images.Any(i => i.DataUri.Length > MaxDataUri))
        {
            return new UpstreamSubmit.Rejected("image_too_large", "Runway takes an image sent inline up to 5 MB; send a smaller image.");
        }

        return Plan(job).Refusal;
    }

    protected override HttpRequestMessage BuildSubmit(UpstreamJob job)
    {
        var (model, fit, size, _) = Plan(job);
        var body = options.Parameters is { } extra ? JsonNode.Parse(extra.GetRawText())!.AsObject() : [];
        body["model"] = model;
        body["promptText"] = job.Task.Prompt;
        body["ratio"] = size;
        body["duration"] = fit!.Seconds;
        if (job.Images.Count == 1)
        {
            body["promptImage"] = job.Images[0].DataUri;
        }
        else if (job.Images.Count == 2)
        {
            body["promptImage"] = new JsonArray(
                new JsonObject { ["uri"] = job.Images[0].DataUri, ["position"] = "first" },
                new JsonObject { ["uri"] = job.Images[1].DataUri, ["position"] = "last" });
        }

        var request = new HttpRequestMessage(HttpMethod.Post, Endpoint(job.Images.Count > 0 ? "v1/image_to_video" : "v1/text_to_video"))
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        return Versioned(request);
    }

    protected override UpstreamSubmit ParseSubmit(UpstreamReply reply, UpstreamJob job)
        => Read(reply, RunwayJson.Default.RunwayCreated)?.Id is { Length: > 0 } id
            ? new UpstreamSubmit.Accepted(id, Plan(job).Fit!.Seconds.ToString(CultureInfo.InvariantCulture))
            : new UpstreamSubmit.Unavailable($"Runway answered {reply.Code} without a task id");

    protected override HttpRequestMessage BuildPoll(UpstreamHandle handle)
        => Versioned(new HttpRequestMessage(HttpMethod.Get, Endpoint($"v1/tasks/{Uri.EscapeDataString(handle.UpstreamId)}")));

    protected override UpstreamPoll ParsePoll(UpstreamReply reply, UpstreamHandle handle)
    {
        if (Read(reply, RunwayJson.Default.RunwayTask) is not { Status: { } status } task)
        {
            return new UpstreamPoll.Transient("Runway answered a body that is not a task");
        }

        switch (status)
        {
            case "SUCCEEDED":
                if (task.Output is not [{ Length: > 0 } url, ..])
                {
                    return new UpstreamPoll.Transient("Runway said SUCCEEDED without an output url");
                }

                var seconds = DeliveredSeconds(handle);
                return new UpstreamPoll.Done(seconds, url);
            case "FAILED":
                // SAFETY.INPUT.* and SAFETY.OUTPUT.* are moderation ("you should not retry these"); older answers put SAFETY mid-code.
                var moderated = task.FailureCode?.Contains("SAFETY", StringComparison.Ordinal) == true || IsModeration(task.Failure);
                var reason = task.FailureCode is { Length: > 0 } code ? $"{task.Failure} ({code})" : task.Failure;
                return new UpstreamPoll.Failed(moderated ? "moderation_blocked" : "upstream_failed", "The upstream provider failed to generate the video: " + Quote(reason, handle.ApiKey));
            case "CANCELLED":
                return new UpstreamPoll.Failed("upstream_cancelled", "The upstream provider says the job was cancelled or deleted.");
            case "RUNNING":
                return new UpstreamPoll.Running(Progress(task.Progress));
            default:
                // PENDING, THROTTLED (over the organisation's concurrency: stored, enqueued in order), or a later word.
                return new UpstreamPoll.Running(null);
        }
    }

    /// <summary>Running, pending and throttled tasks are cancelled; finished ones are deleted (their URLs die with them).</summary>
    protected override HttpRequestMessage BuildCancel(UpstreamHandle handle)
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, Endpoint($"v1/tasks/{Uri.EscapeDataString(handle.UpstreamId)}"));
        request.Headers.Accept.ParseAdd("*/*");
        return Versioned(request);
    }

    /// <summary>A create refused for want of credits is the key's account's problem (another key may have them), whatever its status.</summary>
    protected override Answer Classify(UpstreamReply reply, VendorCall call)
    {
        var answer = ByStatus(reply, ErrorText(reply));
        return answer.Verdict is Verdict.Invalid && answer.Message?.Contains("enough credits", StringComparison.OrdinalIgnoreCase) == true
            ? answer with { Verdict = Verdict.BadCredentials }
            : answer;
    }

    /// <summary>Runway's <c>progress</c> is a fraction (0–1, as its SDK and dashboards show it); a percent is taken as one too.</summary>
    private static int? Progress(double? progress) => progress switch
    {
        null or double.NaN => null,
        <= 1 and >= 0 => Math.Clamp((int)Math.Floor(progress.Value * 100), 0, 99),
        > 1 => Math.Clamp((int)Math.Floor(progress.Value), 0, 99),
        _ => null,
    };

    private static HttpRequestMessage Versioned(HttpRequestMessage request)
    {
        request.Headers.TryAddWithoutValidation("X-Runway-Version", ApiVersion);
        return request;
    }

    protected override Fitted? Delivers(UpstreamJob job) => Plan(job).Fit;

    private (string Model, Fitted? Fit, string Size, UpstreamSubmit.Rejected? Refusal) Plan(UpstreamJob job)
    {
        var name = options.ModelFor(job);
        var spec = RunwayModels.Spec(RunwayModels.For(name), name, job.Images.Count > 0, options);
        var (fit, refusal) = ModelFit.Fit(spec, job.Task, options.Strict, name);
        if (fit is null)
        {
            return (name, null, "", refusal);
        }

        var size = RunwayModels.Size(spec, fit);
        var shortSide = RunwayModels.ShortSide(size);
        if (options.Strict && shortSide != Math.Min(job.Task.Width, job.Task.Height))
        {
            return (name, null, "", ModelFit.Refuse("size", $"{job.Task.Width}x{job.Task.Height}", name, spec.Ratios.Select(r => r.Replace(':', 'x'))));
        }

        return (name, new Fitted(fit.Seconds, shortSide, size), size, null);
    }
}
