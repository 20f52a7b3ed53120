using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Minimax;

/// <summary>
/// MiniMax Hailuo, video API v1 (vendors.md part B §2): <c>POST {base}/v1/video_generation</c> (an image as a data URL in
/// <c>first_frame_image</c>, a second as <c>last_frame_image</c>), poll <c>GET /v1/query/video_generation?task_id=</c>
/// until <c>Success</c> with a <c>file_id</c>, then <c>GET /v1/files/retrieve?file_id=</c> (with the key) for the
/// <c>download_url</c>, fetched through the SSRF guard without it. That third call is made when the result is opened,
/// not at the poll, so a late download still gets a fresh URL (they live 9 hours). Errors ride in <c>base_resp</c>, most
/// with HTTP 200: 1004/2049 are the key's, 1008 its account out of balance, 1026/1027 moderation, 1002/1039/1041/2045
/// throttling. No cancel in v1; no cost in the answers.
/// </summary>
internal sealed class MinimaxProvider(UpstreamSettings settings, VendorOptions options, VendorServices services)
    : HttpVendor(settings, services, "MiniMax", UpstreamAuth.Bearer)
{
    /// <summary>Fields the adapter sets from the request; <c>options.parameters</c> may set the rest (prompt_optimizer, fast_pretreatment, aigc_watermark).</summary>
    public static readonly string[] Reserved = ["model", "prompt", "first_frame_image", "last_frame_image", "subject_reference", "duration", "resolution", "callback_url"];

    protected override UpstreamSubmit.Rejected? Refuse(UpstreamJob job)
        => job.Images.Count > 2
            ? new UpstreamSubmit.Rejected("unsupported_value", "MiniMax takes at most two images: the first frame and the last.")
            : Plan(job).Refusal;

    /// <summary>MiniMax first verifies <c>callback_url</c> with a <c>challenge</c> to echo, then POSTs status updates (vendors.md §2.5).</summary>
    protected override CallbackPlace? Callbacks => CallbackPlace.Body("callback_url") with { EchoesChallenge = true };

    protected override HttpRequestMessage BuildSubmit(UpstreamJob job)
    {
        var (model, fit, _) = Plan(job);
        var body = options.Parameters is { } extra ? JsonNode.Parse(extra.GetRawText())!.AsObject() : [];
        body["model"] = model;
        body["prompt"] = job.Task.Prompt;
        body["duration"] = fit!.Seconds;
        body["resolution"] = MinimaxModels.Label(fit.Resolution);
        if (job.Images.Count > 0)
        {
            // A data URL is one of the two documented forms (the other a public URL).
            body["first_frame_image"] = job.Images[0].DataUri;
            if (job.Images.Count == 2)
            {
                body["last_frame_image"] = job.Images[1].DataUri;
            }
        }

        return new HttpRequestMessage(HttpMethod.Post, Endpoint("v1/video_generation"))
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
    }

    protected override UpstreamSubmit ParseSubmit(UpstreamReply reply, UpstreamJob job)
        => Read(reply, MinimaxJson.Default.MinimaxTask)?.TaskId is { Length: > 0 } id
            ? new UpstreamSubmit.Accepted(id, Plan(job).Fit!.Seconds.ToString(CultureInfo.InvariantCulture))
            : new UpstreamSubmit.Unavailable($"MiniMax answered {reply.Code} without a task_id");

    protected override HttpRequestMessage BuildPoll(UpstreamHandle handle)
        => new(HttpMethod.Get, Endpoint("v1/query/video_generation?task_id=" + Uri.EscapeDataString(handle.UpstreamId)));

    protected override UpstreamPoll ParsePoll(UpstreamReply reply, UpstreamHandle handle)
    {
        if (Read(reply, MinimaxJson.Default.MinimaxTask) is not { Status: { } status } task)
        {
            return new UpstreamPoll.Transient("MiniMax answered a body that is not a task");
        }

        switch (status)
        {
            case "Preparing" or "Queueing" or "Processing":
                // MiniMax reports no progress.
                return new UpstreamPoll.Running(null);
            case "Success":
                if (MinimaxFileId.Of(task.FileId) is not { } fileId)
                {
                    return new UpstreamPoll.Transient("MiniMax said Success without a file_id");
                }

                var seconds = DeliveredSeconds(handle);
                return new UpstreamPoll.Done(seconds, Endpoint("v1/files/retrieve?file_id=" + fileId).AbsoluteUri);
            case "Fail":
                // The reason rides in base_resp; 1026/1027 are the moderation's (input / output).
                var code = task.BaseResp?.StatusCode;
                return new UpstreamPoll.Failed(
                    code is 1026 or 1027 || IsModeration(task.BaseResp?.StatusMsg) ? "moderation_blocked" : "upstream_failed",
                    "The upstream provider failed to generate the video: " + Quote(code is null or 0 ? null : task.BaseResp?.StatusMsg, handle.ApiKey));
            default:
                // Not one of the documented five: keep polling (the deadline bounds it).
                return new UpstreamPoll.Running(null);
        }
    }

    /// <summary>
    /// The third call: the file's <c>download_url</c>, asked with the key on the instance's own origin, then fetched
    /// through the SSRF guard without it. A file MiniMax no longer has opens as a 404 (the finisher fails the task
    /// with <c>upstream_result_unavailable</c>); a throttled or failing retrieve as a 503 (the finisher tries again).
    /// </summary>
    public override async Task<HttpResponseMessage> OpenResultAsync(UpstreamHandle handle, UpstreamPoll.Done done, CancellationToken ct)
    {
        if (!Uri.TryCreate(done.ResultUrl, UriKind.Absolute, out var retrieve) || !SameOrigin(retrieve))
        {
            throw new FetchRefusedException("MiniMax's answer has no usable file_id");
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, retrieve);
        var reply = await Client.CallAsync(request, Credential(handle.ApiKey), ct);
        var answer = Classify(reply, VendorCall.Poll);
        if (answer.Verdict == Verdict.Accepted && Read(reply, MinimaxJson.Default.MinimaxFileAnswer)?.File?.DownloadUrl is { Length: > 0 } text
            && Uri.TryCreate(text, UriKind.Absolute, out var url))
        {
            return await Services.Fetcher.GetAsync(url, null, ct);
        }

        return new HttpResponseMessage(answer.Verdict switch
        {
            Verdict.RetryLater => HttpStatusCode.ServiceUnavailable,
            Verdict.BadCredentials => HttpStatusCode.Unauthorized,
            Verdict.Accepted => HttpStatusCode.BadGateway,
            _ => HttpStatusCode.NotFound,
        });
    }

    /// <summary>
    /// <c>base_resp.status_code</c> decides whatever the HTTP status (MiniMax answers most errors with 200); the status
    /// alone only where the body has none. On a poll, 2013 (invalid params: the only one is the task id, and only the
    /// account's own tasks can be queried) means the task is unknown; a <c>Fail</c> is read as the task's outcome.
    /// </summary>
    protected override Answer Classify(UpstreamReply reply, VendorCall call)
    {
        var body = Read(reply, MinimaxJson.Default.MinimaxTask);
        var code = body?.BaseResp?.StatusCode;
        var message = body?.BaseResp?.StatusMsg ?? ErrorText(reply);
        if (call == VendorCall.Poll && reply.IsSuccess && body?.Status == "Fail")
        {
            return new Answer(Verdict.Accepted);
        }

        return code switch
        {
            0 => ByStatus(reply, message),
            null => ByStatus(reply, message),
            1004 or 2049 or 1008 => new Answer(Verdict.BadCredentials, message),
            1026 or 1027 => new Answer(Verdict.Moderated, message),
            1000 or 1001 or 1024 or 1033 or 1002 or 1039 or 1041 or 2045 or 2056 => new Answer(Verdict.RetryLater, message),
            2013 when call != VendorCall.Submit => new Answer(Verdict.Gone, message),
            _ => ByStatus(reply, message) is { Verdict: Verdict.Accepted } ? new Answer(Verdict.Invalid, message) : ByStatus(reply, message),
        };
    }

    protected override Fitted? Delivers(UpstreamJob job) => Plan(job).Fit;

    private (string Model, Fitted? Fit, UpstreamSubmit.Rejected? Refusal) Plan(UpstreamJob job)
    {
        var model = options.ModelFor(job);
        var image = job.Images.Count > 0;
        var spec = MinimaxModels.For(model, options, image);

        // An image sets the shape of the output: its ratio is not ours to check or snap.
        if (image)
        {
            spec = spec with { Ratios = [job.Task.AspectRatio is { Length: > 0 } r && r.Contains(':', StringComparison.Ordinal) ? r : "16:9"] };
        }

        var (fit, refusal) = ModelFit.Fit(spec, job.Task, options.Strict, model);
        if (fit is null)
        {
            return (model, null, refusal);
        }

        if (!options.Models.ContainsKey(model) && MinimaxModels.Conflict(fit) is { } conflict)
        {
            if (options.Strict)
            {
                return (model, null, new UpstreamSubmit.Rejected("unsupported_value", $"resolution {MinimaxModels.Label(fit.Resolution)} at {fit.Seconds} seconds is not accepted by the upstream model {model} (fit: strict): {conflict}.")
                {
                    Fit = new FitRefusal("resolution", [.. spec.Resolutions.Where(r => r < 1080).Select(MinimaxModels.Label)], conflict),
                });
            }

            // The length is what the user pays for: keep it, step the resolution down.
            fit = fit with { Resolution = spec.Resolutions.Where(r => r < 1080).DefaultIfEmpty(fit.Resolution).Max() };
        }

        return (model, fit, null);
    }
}
