using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Replicate;

/// <summary>
/// Replicate's predictions (vendors.md §6): an official model <c>owner/name</c> is created at
/// <c>POST {base}/v1/models/{owner}/{name}/predictions</c>, a version (<c>owner/name:&lt;64 hex&gt;</c> or the bare id) at
/// <c>POST {base}/v1/predictions</c> with <c>version</c>, a deployment (<c>deployments/owner/name</c>) at its own path; the
/// body is <c>{input}</c> with the model's own fields (<see cref="ReplicateModels"/>), images as data URLs. No
/// <c>Prefer: wait</c>: the create answers at once and <c>GET {base}/v1/predictions/{id}</c> is polled; cancel is
/// <c>POST …/cancel</c>; the output URL (on <c>replicate.delivery</c>, kept an hour) is fetched through the SSRF guard.
/// </summary>
internal sealed partial class ReplicateProvider(UpstreamSettings settings, VendorOptions options, VendorServices services)
    : HttpVendor(settings, services, "Replicate", UpstreamAuth.Bearer)
{
    /// <summary>Input fields the adapter sets from the request; <c>options.parameters</c> (merged into <c>input</c>) may set the rest.</summary>
    public static readonly string[] Reserved =
        ["prompt", "duration", "resolution", "aspect_ratio", "image", "start_image", "first_frame_image", "start_image_url", "end_image", "last_frame_image"];

    protected override UpstreamSubmit.Rejected? Refuse(UpstreamJob job)
    {
        var (model, _, _, refusal) = Plan(job);
        return refusal ?? (job.Images.Count > 1
            ? new UpstreamSubmit.Rejected("unsupported_value", $"The Replicate model {model} takes one image (the first frame).")
            : null);
    }

    private static readonly CallbackPlace Webhook = CallbackPlace.Body("webhook") with
    {
        Alongside = new Dictionary<string, string[]> { ["webhook_events_filter"] = ["start", "completed"] },
        Signing = CallbackSigning.StandardWebhooks,
    };

    /// <summary>Replicate POSTs the prediction to <c>webhook</c> (start and completed only), signed per Standard Webhooks (vendors.md §6.6).</summary>
    protected override CallbackPlace? Callbacks => Webhook;

    protected override HttpRequestMessage BuildSubmit(UpstreamJob job)
    {
        var (model, family, fit, _) = Plan(job);
        var input = options.Parameters is { } extra ? JsonNode.Parse(extra.GetRawText())!.AsObject() : [];
        input["prompt"] = job.Task.Prompt;
        if (family.Duration)
        {
            input["duration"] = fit!.Seconds;
        }

        if (family.Resolution)
        {
            input["resolution"] = fit!.ResolutionLabel;
        }

        if (family.Ratio && job.Images.Count == 0)
        {
            input["aspect_ratio"] = fit!.Ratio;
        }

        if (job.Images.Count > 0)
        {
            input[family.ImageField] = job.Images[0].DataUri;
        }

        var body = new JsonObject();
        string path;
        if (Version(model) is { } version)
        {
            body["version"] = version;
            path = "v1/predictions";
        }
        else if (model.StartsWith("deployments/", StringComparison.Ordinal))
        {
            path = $"v1/{Escape(model)}/predictions";
        }
        else
        {
            path = $"v1/models/{Escape(model)}/predictions";
        }

        body["input"] = input;
        return new HttpRequestMessage(HttpMethod.Post, Endpoint(path))
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
    }

    protected override UpstreamSubmit ParseSubmit(UpstreamReply reply, UpstreamJob job)
        => Read(reply, ReplicateJson.Default.ReplicatePrediction)?.Id is { Length: > 0 } id
            ? new UpstreamSubmit.Accepted(id, Plan(job).Fit!.Seconds.ToString(CultureInfo.InvariantCulture))
            : new UpstreamSubmit.Unavailable($"Replicate answered {reply.Code} without a prediction id");

    protected override HttpRequestMessage BuildPoll(UpstreamHandle handle)
        => new(HttpMethod.Get, Endpoint($"v1/predictions/{Uri.EscapeDataString(handle.UpstreamId)}"));

    protected override UpstreamPoll ParsePoll(UpstreamReply reply, UpstreamHandle handle)
    {
        if (Read(reply, ReplicateJson.Default.ReplicatePrediction) is not { Status: { } status } prediction)
        {
            return new UpstreamPoll.Transient("Replicate answered a body that is not a prediction");
        }

        switch (status)
        {
            case "succeeded":
                if (OutputUrl(prediction.Output) is { } url)
                {
                    var seconds = DeliveredSeconds(handle);
                    return new UpstreamPoll.Done(seconds, url);
                }

                return prediction.DataRemoved == true
                    ? new UpstreamPoll.Failed("upstream_expired", "Replicate removed the prediction's output (outputs are kept one hour).")
                    : new UpstreamPoll.Failed("upstream_failed", "The Replicate model's output holds no URL (is the model a video model?).");
            case "failed":
                return IsModeration(prediction.Error) || prediction.Error?.Contains("flagged", StringComparison.OrdinalIgnoreCase) == true || prediction.Error?.Contains("nsfw", StringComparison.OrdinalIgnoreCase) == true
                    ? new UpstreamPoll.Failed("moderation_blocked", "The upstream provider's content moderation blocked this video: " + Quote(prediction.Error, handle.ApiKey))
                    : new UpstreamPoll.Failed("upstream_failed", "The upstream provider failed to generate the video: " + Quote(prediction.Error, handle.ApiKey));
            case "canceled" or "aborted":
                return new UpstreamPoll.Failed("upstream_failed", $"Replicate {status} the prediction" + (prediction.Error is { Length: > 0 } e ? ": " + Quote(e, handle.ApiKey) : "."));
            default:
                // starting / processing: a progress bar in the logs is the only progress there is.
                return new UpstreamPoll.Running(Progress(prediction.Logs));
        }
    }

    protected override HttpRequestMessage? BuildCancel(UpstreamHandle handle)
        => new(HttpMethod.Post, Endpoint($"v1/predictions/{Uri.EscapeDataString(handle.UpstreamId)}/cancel"));

    /// <summary>The last <c>NN%|</c> of a tqdm bar in the logs (what Replicate's own SDK reads), kept to 0..99.</summary>
    internal static int? Progress(string? logs)
    {
        if (string.IsNullOrEmpty(logs))
        {
            return null;
        }

        var matches = ProgressBar().Matches(logs);
        return matches.Count > 0 && int.TryParse(matches[^1].Groups[1].ValueSpan, CultureInfo.InvariantCulture, out var p) ? Math.Clamp(p, 0, 99) : null;
    }

    /// <summary>A URI string, the first of a list, or in an object the <c>video</c> field or the first URI value.</summary>
    internal static string? OutputUrl(JsonElement? output)
    {
        switch (output)
        {
            case { ValueKind: JsonValueKind.String } s when Uri.TryCreate(s.GetString(), UriKind.Absolute, out _):
                return s.GetString();
            case { ValueKind: JsonValueKind.Array } list:
                return list.EnumerateArray().Select(i => OutputUrl(i)).FirstOrDefault(u => u is not null);
            case { ValueKind: JsonValueKind.Object } obj:
                return obj.TryGetProperty("video", out var video) && OutputUrl(video) is { } v
                    ? v
                    : obj.EnumerateObject().Select(p => OutputUrl(p.Value)).FirstOrDefault(u => u is not null);
            default:
                return null;
        }
    }

    /// <summary>A version id (<c>owner/name:&lt;hex&gt;</c> or the bare 64 hex digits), or null for a model or deployment name.</summary>
    private static string? Version(string model)
    {
        var id = model.Contains(':', StringComparison.Ordinal) ? model[(model.IndexOf(':', StringComparison.Ordinal) + 1)..] : model;
        return id.Length == 64 && id.All(char.IsAsciiHexDigit) ? id : null;
    }

    private static string Escape(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    protected override Fitted? Delivers(UpstreamJob job) => Plan(job).Fit;

    private (string Model, ReplicateFamily Family, Fitted? Fit, UpstreamSubmit.Rejected? Refusal) Plan(UpstreamJob job)
    {
        var model = options.ModelFor(job).Trim('/');
        var family = ReplicateModels.For(model, options);
        if (!family.Known)
        {
            return (model, family, new Fitted(job.Task.Seconds, Math.Min(job.Task.Width, job.Task.Height), job.Task.AspectRatio), null);
        }

        var spec = family.Spec;
        if (job.Images.Count > 0 || !family.Ratio)
        {
            // The image (or the model itself) sets the shape: the ratio is not ours to check or snap.
            spec = spec with { Ratios = [job.Task.AspectRatio is { Length: > 0 } r && r.Contains(':', StringComparison.Ordinal) ? r : "16:9"] };
        }

        var (fit, refusal) = ModelFit.Fit(spec, job.Task, options.Strict, model);
        return (model, family, fit, refusal);
    }

    [GeneratedRegex(@"(\d{1,3})%\|", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 200)]
    private static partial Regex ProgressBar();
}
