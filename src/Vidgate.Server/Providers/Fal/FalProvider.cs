using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Fal;

/// <summary>
/// fal.ai's queue (vendors.md §5): <c>POST {base}/{model_id}</c> with the model's own input and <c>Authorization: Key …</c>,
/// poll <c>GET {base}/{owner}/{app}/requests/{id}/status</c> until <c>COMPLETED</c>, then read the result
/// <c>GET {base}/{owner}/{app}/requests/{id}</c> for <c>video.url</c> (a public CDN link, fetched through the SSRF guard
/// without the key); cancel is <c>PUT …/requests/{id}/cancel</c>. Any fal video model id works through <c>model_map</c>;
/// the common ones get their input shape and snapping from <see cref="FalModels"/>. Images go as data URIs in
/// <c>image_url</c>. The handle's state keeps the delivered length and the app path.
/// </summary>
internal sealed class FalProvider(UpstreamSettings settings, VendorOptions options, VendorServices services, FalWebhookOptions webhooks, FalWebhookKeys webhookKeys)
    : HttpVendor(settings, services, "fal", UpstreamAuth.WithScheme("Key"))
{
    /// <summary>Fields the adapter sets from the request; <c>options.parameters</c> may set the rest (negative_prompt, seed, cfg_scale, generate_audio, enable_safety_checker, …).</summary>
    public static readonly string[] Reserved = ["prompt", "image_url", "tail_image_url", "duration", "aspect_ratio", "resolution"];

    /// <summary>What a finished job's poll leaves for the result read: the <c>Done</c> it turns into.</summary>
    private const string ResultPending = "fal:result";

    protected override UpstreamSubmit.Rejected? Refuse(UpstreamJob job)
    {
        var (model, family, _, refusal) = Plan(job);
        if (refusal is not null)
        {
            return refusal;
        }

        var most = family.TailImage is null ? 1 : 2;
        return job.Images.Count > most
            ? new UpstreamSubmit.Rejected("unsupported_value", $"The fal model {model} takes at most {most} image{(most == 1 ? "" : "s")}.")
            : null;
    }

    private static readonly CallbackPlace Webhook = CallbackPlace.InQuery("fal_webhook") with { Signing = CallbackSigning.Ed25519Jwks };

    /// <summary>fal POSTs the result to <c>?fal_webhook=</c> when done (vendors.md §5.8), signed with Ed25519 on top of the URL's secret.</summary>
    protected override CallbackPlace? Callbacks => Webhook;

    /// <summary>
    /// fal's Ed25519 signature, with the instance's inline keys or those of its JWKS URL (kept; fetched again when none of
    /// the kept ones verifies, for a rotation). Headers and timestamp are checked before any key is looked for, so an
    /// unsigned or stale callback never causes a fetch.
    /// </summary>
    public override async ValueTask<string?> VerifyAsync(Func<string, string?> header, ReadOnlyMemory<byte> body, DateTimeOffset now, CancellationToken ct)
    {
        var (signed, refused) = FalWebhookSignature.Read(header, body.Span, now, SignatureTolerance);
        if (signed is null)
        {
            return refused;
        }

        if (webhooks.Keys is { } inline)
        {
            return signed.MadeByOneOf(inline) ? null : "X-Fal-Webhook-Signature does not match the configured keys";
        }

        return signed.MadeByOneOf(await webhookKeys.KeysAsync(webhooks.JwksUrl, refresh: false, ct))
               || signed.MadeByOneOf(await webhookKeys.KeysAsync(webhooks.JwksUrl, refresh: true, ct))
            ? null
            : "X-Fal-Webhook-Signature does not match fal's keys";
    }

    protected override HttpRequestMessage BuildSubmit(UpstreamJob job)
    {
        var (model, family, fit, _) = Plan(job);
        var body = options.Parameters is { } extra ? JsonNode.Parse(extra.GetRawText())!.AsObject() : [];
        body["prompt"] = job.Task.Prompt;
        if (family.DurationValue(fit!.Seconds) is { } duration)
        {
            body["duration"] = duration;
        }

        if (family.ResolutionValue(fit.Resolution) is { } resolution)
        {
            body["resolution"] = resolution;
        }

        // An image sets the shape of the output; a ratio is sent with text-to-video only.
        if (family.Ratio && job.Images.Count == 0)
        {
            body["aspect_ratio"] = fit.Ratio;
        }

        if (job.Images.Count > 0)
        {
            // fal takes file inputs as URLs or data URIs and decodes the latter itself: no upload step, no public URL of ours.
            body["image_url"] = job.Images[0].DataUri;
            if (job.Images.Count == 2 && family.TailImage is { } tail)
            {
                body[tail] = job.Images[1].DataUri;
            }
        }

        return new HttpRequestMessage(HttpMethod.Post, Endpoint(string.Join('/', model.Split('/').Select(Uri.EscapeDataString))))
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
    }

    protected override UpstreamSubmit ParseSubmit(UpstreamReply reply, UpstreamJob job)
    {
        var (model, _, fit, _) = Plan(job);
        return Read(reply, FalJson.Default.FalQueued)?.RequestId is { Length: > 0 } id
            ? new UpstreamSubmit.Accepted(id, State.Write(fit!.Seconds, FalModels.App(model)))
            : new UpstreamSubmit.Unavailable($"fal answered {reply.Code} without a request_id");
    }

    protected override HttpRequestMessage BuildPoll(UpstreamHandle handle) => new(HttpMethod.Get, Request(handle, "/status"));

    protected override UpstreamPoll ParsePoll(UpstreamReply reply, UpstreamHandle handle)
    {
        if (Read(reply, FalJson.Default.FalStatus) is not { Status: { } status } answer)
        {
            return new UpstreamPoll.Transient("fal answered a body that is not a queue status");
        }

        switch (status)
        {
            case "COMPLETED" when answer.Error is { Length: > 0 } error:
                return Failed(error, answer.ErrorType, handle.ApiKey);
            case "COMPLETED":
                // The video's URL is in the result, one more call (PollAsync makes it).
                return new UpstreamPoll.Done(State.Read(handle.State).Seconds, ResultPending);
            default:
                // IN_QUEUE / IN_PROGRESS: fal reports a queue position and log lines, no percentage.
                return new UpstreamPoll.Running(null);
        }
    }

    /// <summary>A completed request is read once more: its result holds the video URL, or the model's error (a content check).</summary>
    public override async Task<UpstreamPoll> PollAsync(UpstreamHandle handle, CancellationToken ct)
    {
        var poll = await base.PollAsync(handle, ct);
        if (poll is not UpstreamPoll.Done { ResultUrl: ResultPending } done)
        {
            return poll;
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, Request(handle, ""));
        try
        {
            var reply = await Client.CallAsync(request, handle.ApiKey, ct);
            var answer = Classify(reply, VendorCall.Poll);
            if (answer.Verdict == Verdict.Accepted)
            {
                return Read(reply, FalJson.Default.FalResult)?.Video?.Url is { Length: > 0 } url
                    ? done with { ResultUrl = url }
                    : new UpstreamPoll.Failed("upstream_failed", "The fal model's result has no video.url (is the model a video model?).");
            }

            return answer.Verdict switch
            {
                Verdict.Moderated => Failed(answer.Message, "content_policy_violation", handle.ApiKey),
                Verdict.Invalid => Failed(answer.Message, null, handle.ApiKey),
                _ => PollRefused(reply, answer, handle),
            };
        }
        catch (Exception ex) when (Client.Fail(ex, ct) is { } reason)
        {
            return new UpstreamPoll.Transient(reason);
        }
    }

    protected override HttpRequestMessage? BuildCancel(UpstreamHandle handle) => new(HttpMethod.Put, Request(handle, "/cancel"));

    /// <summary>
    /// fal's errors: <c>detail[].type</c> <c>content_policy_violation</c> is moderation (a 422 that no retry changes), other
    /// 422s are validation; the status decides the rest (401/403: a bad key or a locked, unpaid account).
    /// </summary>
    protected override Answer Classify(UpstreamReply reply, VendorCall call)
    {
        var (message, type) = Detail(reply);
        var answer = ByStatus(reply, message);
        return answer.Verdict is Verdict.Invalid or Verdict.Moderated && type == "content_policy_violation"
            ? answer with { Verdict = Verdict.Moderated }
            : answer;
    }

    private UpstreamPoll.Failed Failed(string? error, string? type, string apiKey)
        => type == "content_policy_violation" || IsModeration(error)
            ? new UpstreamPoll.Failed("moderation_blocked", "The upstream provider's content moderation blocked this video: " + Quote(error, apiKey))
            : new UpstreamPoll.Failed("upstream_failed", "The upstream provider failed to generate the video: " + Quote(error, apiKey));

    private Uri Request(UpstreamHandle handle, string suffix)
        => Endpoint($"{State.Read(handle.State).App}/requests/{Uri.EscapeDataString(handle.UpstreamId)}{suffix}");

    protected override Fitted? Delivers(UpstreamJob job) => Plan(job).Fit;

    private (string Model, FalFamily Family, Fitted? Fit, UpstreamSubmit.Rejected? Refusal) Plan(UpstreamJob job)
    {
        var model = options.ModelFor(job).Trim('/');
        var family = FalModels.For(model, options);
        if (!family.Known)
        {
            // Nothing known to snap to: the model's own defaults decide, and the task reports what was asked.
            return (model, family, new Fitted(job.Task.Seconds, Math.Min(job.Task.Width, job.Task.Height), job.Task.AspectRatio), null);
        }

        var spec = family.Spec;
        if (job.Images.Count > 0)
        {
            spec = spec with { Ratios = [job.Task.AspectRatio is { Length: > 0 } r && r.Contains(':', StringComparison.Ordinal) ? r : "16:9"] };
        }

        var (fit, refusal) = ModelFit.Fit(spec, job.Task, options.Strict, model);
        return (model, family, fit, refusal);
    }

    /// <summary>The message and type of fal's error body: <c>detail[0].msg/type</c>, a plain <c>detail</c> string, or the usual places.</summary>
    private static (string? Message, string? Type) Detail(UpstreamReply reply)
    {
        if (Read(reply, FalJson.Default.FalError)?.Detail is not { } detail)
        {
            return (ErrorText(reply), null);
        }

        if (detail.ValueKind == JsonValueKind.String)
        {
            return (detail.GetString(), null);
        }

        if (detail.ValueKind == JsonValueKind.Array && detail.GetArrayLength() > 0 && detail[0] is { ValueKind: JsonValueKind.Object } first)
        {
            var message = first.TryGetProperty("msg", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            var type = first.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            return (message, type);
        }

        return (ErrorText(reply), null);
    }

    /// <summary>The handle's state: <c>"{seconds}|{owner/app}"</c>.</summary>
    private static class State
    {
        public static string Write(int seconds, string app) => seconds.ToString(CultureInfo.InvariantCulture) + "|" + app;

        public static (int? Seconds, string App) Read(string? state)
            => state?.Split('|', 2) is [var s, var app]
                ? (int.TryParse(s, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null, app)
                : (null, state ?? "");
    }
}
