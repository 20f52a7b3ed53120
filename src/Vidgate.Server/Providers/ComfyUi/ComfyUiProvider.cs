using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vidgate.Server.Providers.Http;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Providers.ComfyUi;

/// <summary>
/// A ComfyUI server running a video workflow: images go up through <c>/upload/image</c>, the filled workflow through
/// <c>/prompt</c>; <c>/history</c> and <c>/queue</c> say how it goes, <c>/view</c> serves the video. Sampler progress
/// comes from <c>/ws</c> events (<see cref="ComfyUiProgress"/>) while polls run.
/// </summary>
internal sealed class ComfyUiProvider(UpstreamSettings settings, ComfyUiOptions options, HttpClient http, TimeProvider clock, ILogger<ComfyUiProvider> logger)
    : IVideoProvider, Registry.ICredentialCheck
{
    // ComfyUI's refusals list node errors; longer than other upstreams' one-liners, still bounded.
    private const int MaxRefusal = 600;

    // One client id per instance: ComfyUI routes /ws events by it, and it marks our prompts in its queue.
    private readonly string _clientId = $"vidgate-{settings.Id}";
    private readonly ComfyUiProgress _progress = new(settings.BaseUrl, $"vidgate-{settings.Id}", settings.ApiKeys.Count > 0 ? settings.ApiKeys[0] : null, clock, logger);

    // ComfyUI has no auth of its own; a key is for a reverse proxy in front of it.
    private readonly UpstreamClient _http = new(http, settings, "ComfyUI", UpstreamAuth.Bearer, clock);

    public UpstreamSettings Settings => settings;

    /// <summary>ComfyUI's <c>/system_stats</c>: free; a 401/403 can only come from a proxy in front of it that wants the key.</summary>
    public async Task<Registry.CredentialCheck> CheckAsync(string apiKey, CancellationToken ct)
    {
        const string what = "GET /system_stats";
        using var request = new HttpRequestMessage(HttpMethod.Get, Endpoint("system_stats"));
        try
        {
            var reply = await _http.CallAsync(request, apiKey, ct);
            return (int)reply.Status switch
            {
                >= 200 and < 300 => new Registry.CredentialCheck(true, what),
                401 or 403 => new Registry.CredentialCheck(false, what, "bad_credentials", $"The server in front of ComfyUI refused the key ({reply.Code})."),
                _ => new Registry.CredentialCheck(false, what, "upstream_error", $"ComfyUI answered {reply.Code}."),
            };
        }
        catch (Exception ex) when (_http.Fail(ex, ct) is { } reason)
        {
            return new Registry.CredentialCheck(false, what, "upstream_unreachable", reason);
        }
    }

    public async Task<UpstreamSubmit> SubmitAsync(UpstreamJob job, CancellationToken ct)
    {
        var task = job.Task;
        var slots = options.Workflow.ImageSlots;
        if (job.Images.Count != slots)
        {
            return new UpstreamSubmit.Rejected("unsupported_input", slots == 0
                ? $"model {task.Model} does not take reference images"
                : $"model {task.Model} takes exactly {slots} reference image(s), got {job.Images.Count}");
        }

        var values = Values(task);
        try
        {
            for (var i = 0; i < job.Images.Count; i++)
            {
                var (name, failure) = await UploadAsync(task.Id, i, job.Images[i], job.ApiKey, ct);
                if (failure is not null)
                {
                    return failure;
                }

                values[$"image_{i}"] = name!;
                if (i == 0)
                {
                    values["image"] = name!;
                }
            }

            var promptId = PromptId(settings.Id, job.IdempotencyKey);
            var body = new JsonObject
            {
                ["prompt"] = options.Workflow.Fill(values),
                ["prompt_id"] = promptId,
                ["client_id"] = _clientId,
                ["extra_data"] = new JsonObject { ["vidgate_task_id"] = task.Id },
            };
            using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint("prompt"))
            {
                Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
            };
            var reply = await _http.CallAsync(request, job.ApiKey, ct);
            if (Unavailable(reply) is { } unavailable)
            {
                return unavailable;
            }

            if (!reply.IsSuccess)
            {
                var message = _http.Quote(reply.Json is { } a ? Refusal(a) : $"ComfyUI refused the workflow ({reply.Code})", job.ApiKey, MaxRefusal);
                ComfyUiLog.PromptRefused(logger, settings.Id, reply.Code, message);
                return new UpstreamSubmit.Rejected(reply.Status == HttpStatusCode.BadRequest ? "upstream_workflow_invalid" : "upstream_rejected", message);
            }

            if (reply.Json is not { } ok || ComfyUiHistory.Text(ok, "prompt_id") is not { Length: > 0 } accepted)
            {
                return new UpstreamSubmit.Unavailable("ComfyUI answered without a prompt_id");
            }

            if (accepted != promptId)
            {
                // An old ComfyUI that picks its own ids: tracking works, but a crash mid-submit cannot be looked up.
                ComfyUiLog.PromptIdIgnored(logger, settings.Id);
            }

            return new UpstreamSubmit.Accepted(accepted);
        }
        catch (Exception ex) when (_http.Fail(ex, ct) is { } reason)
        {
            return new UpstreamSubmit.Unavailable(reason);
        }
    }

    /// <summary>
    /// The prompt a submit with this idempotency key sent: queued or running in <c>/queue</c>, or finished in
    /// <c>/history/{prompt_id}</c>. The queue is read first: ComfyUI writes a finished prompt's history in the same step
    /// that takes it off the queue, so a prompt finishing between the two reads is still seen.
    /// </summary>
    public async Task<UpstreamLookup> FindAsync(string idempotencyKey, string apiKey, CancellationToken ct)
    {
        var promptId = PromptId(settings.Id, idempotencyKey);
        try
        {
            var (queue, failure) = await GetJsonAsync(Endpoint("queue"), apiKey, ct);
            if (failure is UpstreamPoll.Transient queueFailure)
            {
                return new UpstreamLookup.Unknown(queueFailure.Reason);
            }

            if (!ComfyUiHistory.IsQueue(queue))
            {
                return new UpstreamLookup.Unknown("ComfyUI answered /queue without queue_running and queue_pending lists");
            }

            if (ComfyUiHistory.InQueue(queue, promptId) != ComfyUiHistory.Place.Absent)
            {
                return new UpstreamLookup.Found(promptId);
            }

            var (history, historyFailure) = await GetJsonAsync(Endpoint($"history/{Uri.EscapeDataString(promptId)}"), apiKey, ct);
            if (historyFailure is UpstreamPoll.Transient transient)
            {
                return new UpstreamLookup.Unknown(transient.Reason);
            }

            return history.TryGetProperty(promptId, out var entry) && entry.ValueKind == JsonValueKind.Object
                ? new UpstreamLookup.Found(promptId)
                : new UpstreamLookup.NotFound();
        }
        catch (Exception ex) when (_http.Fail(ex, ct) is { } reason)
        {
            return new UpstreamLookup.Unknown(reason);
        }
    }

    public async Task<UpstreamPoll> PollAsync(UpstreamHandle handle, CancellationToken ct)
    {
        _progress.Touch();
        try
        {
            if (await HistoryAsync(handle, ct) is { } finished)
            {
                if (finished is not UpstreamPoll.Running and not UpstreamPoll.Transient)
                {
                    _progress.Forget(handle.UpstreamId);
                }

                return finished;
            }

            var (queue, failure) = await GetJsonAsync(Endpoint("queue"), handle.ApiKey, ct);
            if (failure is not null)
            {
                return failure;
            }

            switch (ComfyUiHistory.InQueue(queue, handle.UpstreamId))
            {
                case ComfyUiHistory.Place.Pending:
                    return new UpstreamPoll.Running(0);
                case ComfyUiHistory.Place.Running:
                    return new UpstreamPoll.Running(_progress.Percent(handle.UpstreamId));
            }

            // Not queued and no history: it may have finished between the two reads, so look once more before giving up.
            return await HistoryAsync(handle, ct)
                ?? new UpstreamPoll.Failed("upstream_not_found", "ComfyUI no longer knows this prompt (was it restarted or its history cleared?)");
        }
        catch (Exception ex) when (_http.Fail(ex, ct) is { } reason)
        {
            return new UpstreamPoll.Transient(reason);
        }
    }

    public async Task CancelAsync(UpstreamHandle handle, CancellationToken ct)
    {
        try
        {
            var (queue, failure) = await GetJsonAsync(Endpoint("queue"), handle.ApiKey, ct);
            var place = failure is null ? ComfyUiHistory.InQueue(queue, handle.UpstreamId) : ComfyUiHistory.Place.Absent;
            if (place == ComfyUiHistory.Place.Running)
            {
                // /interrupt stops whatever runs now (older ComfyUI ignores the prompt_id), so only when that is ours.
                await PostAsync("interrupt", new JsonObject { ["prompt_id"] = handle.UpstreamId }, handle.ApiKey, ct);
            }

            // Deleting an id that is not pending is a no-op on ComfyUI; done always, in case it was picked up meanwhile.
            await PostAsync("queue", new JsonObject { ["delete"] = new JsonArray(handle.UpstreamId) }, handle.ApiKey, ct);
        }
        catch (Exception ex) when (_http.Fail(ex, ct) is { } reason)
        {
            ComfyUiLog.CancelFailed(logger, settings.Id, reason);
        }
    }

    public async Task<HttpResponseMessage> OpenResultAsync(UpstreamHandle handle, UpstreamPoll.Done done, CancellationToken ct)
    {
        // Our own /view link on the operator's base URL; anything else (an old handle, a changed base) is looked up again.
        var url = done.ResultUrl is { } text && text.StartsWith(Endpoint("view").AbsoluteUri + "?", StringComparison.Ordinal) ? new Uri(text) : null;
        if (url is null && await HistoryAsync(handle, ct) is UpstreamPoll.Done again && again.ResultUrl is { } found)
        {
            url = new Uri(found);
        }

        if (url is null)
        {
            return new HttpResponseMessage(HttpStatusCode.NotFound) { ReasonPhrase = "ComfyUI has no video output for this prompt" };
        }

        // Handed over as it is: the finisher checks that it really is a video.
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        return await _http.SendAsync(request, handle.ApiKey, HttpCompletionOption.ResponseHeadersRead, ct);
    }

    /// <summary>Null while ComfyUI has no history entry (queued or running); otherwise the outcome.</summary>
    private async Task<UpstreamPoll?> HistoryAsync(UpstreamHandle handle, CancellationToken ct)
    {
        var (history, failure) = await GetJsonAsync(Endpoint($"history/{Uri.EscapeDataString(handle.UpstreamId)}"), handle.ApiKey, ct);
        if (failure is not null)
        {
            return failure;
        }

        if (!history.TryGetProperty(handle.UpstreamId, out var entry) || entry.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        switch (ComfyUiHistory.Succeeded(entry))
        {
            case null:
                return new UpstreamPoll.Running(null);
            case false:
                var (interrupted, message) = ComfyUiHistory.Failure(entry);
                return new UpstreamPoll.Failed(interrupted ? "upstream_cancelled" : "upstream_failed", _http.Quote(message, handle.ApiKey, MaxRefusal));
        }

        if (ComfyUiHistory.FirstVideo(entry, options.OutputNode, out var seen) is not { } file)
        {
            return new UpstreamPoll.Failed("no_video_output", $"the workflow finished without a video output (mp4, webm, mov); it wrote: {_http.Quote(seen, handle.ApiKey, MaxRefusal)}");
        }

        var query = $"filename={Uri.EscapeDataString(file.Filename)}&subfolder={Uri.EscapeDataString(file.Subfolder)}&type={Uri.EscapeDataString(file.Type)}";
        return new UpstreamPoll.Done(null, $"{Endpoint("view").AbsoluteUri}?{query}");
    }

    private Dictionary<string, JsonNode> Values(VideoTask task) => new()
    {
        ["prompt"] = task.Prompt,
        ["negative_prompt"] = options.NegativePrompt,
        ["seed"] = Seed(task.Id),
        ["width"] = task.Width,
        ["height"] = task.Height,
        ["frames"] = options.Frames(task.Seconds),
        ["fps"] = options.Fps,
        ["seconds"] = task.Seconds,
    };

    /// <summary>Deterministic per task (a retry renders the same video), 48 bits so every JSON reader keeps it exact.</summary>
    public static long Seed(string taskId) =>
        (long)(BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(taskId))) >> 16);

    /// <summary>
    /// The <c>prompt_id</c> sent with <c>POST /prompt</c> (ComfyUI keeps a client-chosen one): a UUID made from a SHA-256
    /// of the instance id and the idempotency key (the task id), with the version and variant bits of a name-based UUID
    /// (version 5 layout, SHA-256 instead of SHA-1). The same task on the same instance always gets the same id, so after
    /// a crash <see cref="FindAsync"/> can ask for it; two instances on one ComfyUI never share one.
    /// </summary>
    public static string PromptId(string instanceId, string idempotencyKey)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes($"vidgate-comfyui\n{instanceId}\n{idempotencyKey}"), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true).ToString("D");
    }

    private async Task<(string? Name, UpstreamSubmit? Failure)> UploadAsync(string taskId, int index, UpstreamImage image, string apiKey, CancellationToken ct)
    {
        var file = new ByteArrayContent(image.Bytes.ToArray());
        file.Headers.ContentType = new MediaTypeHeaderValue(image.MediaType);
        using var form = new MultipartFormDataContent
        {
            { file, "image", $"vidgate-{taskId}-{index}.{MediaTypes.Extension(image.MediaType)}" },
            { new StringContent("input"), "type" },
            { new StringContent("true"), "overwrite" },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint("upload/image")) { Content = form };
        var reply = await _http.CallAsync(request, apiKey, ct);
        if (Unavailable(reply) is { } unavailable)
        {
            return (null, unavailable);
        }

        if (!reply.IsSuccess)
        {
            return (null, new UpstreamSubmit.Rejected("upstream_rejected", $"ComfyUI refused reference image {index + 1} ({reply.Code})"));
        }

        if (reply.Json is not { } a || ComfyUiHistory.Text(a, "name") is not { Length: > 0 } name)
        {
            return (null, new UpstreamSubmit.Unavailable("ComfyUI answered an upload without a file name"));
        }

        // LoadImage names files relative to the input folder: "sub/name.png" when ComfyUI put it in a subfolder.
        return (ComfyUiHistory.Text(a, "subfolder") is { Length: > 0 } sub ? $"{sub}/{name}" : name, null);
    }

    private static UpstreamSubmit.Unavailable? Unavailable(UpstreamReply reply)
    {
        var status = reply.Code;
        return status switch
        {
            // ComfyUI itself has no keys; a proxy in front of it (basic auth, bearer) refused ours.
            401 or 403 => new UpstreamSubmit.Unavailable($"ComfyUI (or its proxy) refused the API key ({status})", KeyRefused: true),
            // A proxy's rate limit says how long to leave the instance alone.
            429 => new UpstreamSubmit.Unavailable($"ComfyUI answered {status}", reply.RetryAfter),
            408 or >= 500 => new UpstreamSubmit.Unavailable($"ComfyUI answered {status}"),
            _ => null,
        };
    }

    /// <summary>
    /// ComfyUI's <c>{"error":{message,details},"node_errors":{id:{errors:[…],class_type}}}</c> as one readable line
    /// (unredacted: the caller quotes it).
    /// </summary>
    private static string Refusal(JsonElement answer)
    {
        var text = new StringBuilder("ComfyUI refused the workflow");
        if (answer.TryGetProperty("error", out var error))
        {
            var message = error.ValueKind == JsonValueKind.String ? error.GetString() : ComfyUiHistory.Text(error, "message");
            text.Append(": ").Append(message);
        }

        if (answer.TryGetProperty("node_errors", out var nodes) && nodes.ValueKind == JsonValueKind.Object)
        {
            foreach (var node in nodes.EnumerateObject().Take(3))
            {
                var first = node.Value.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0 ? errors[0] : default;
                text.Append($"; node {node.Name} ({ComfyUiHistory.Text(node.Value, "class_type")}): {ComfyUiHistory.Text(first, "message")}");
                if (ComfyUiHistory.Text(first, "details") is { Length: > 0 } details)
                {
                    text.Append(" - ").Append(details);
                }
            }
        }

        return text.ToString();
    }

    private async Task<(JsonElement Body, UpstreamPoll? Failure)> GetJsonAsync(Uri url, string apiKey, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        var reply = await _http.CallAsync(request, apiKey, ct);
        if (!reply.IsSuccess)
        {
            return (default, new UpstreamPoll.Transient($"ComfyUI answered {reply.Code}", reply.Status == HttpStatusCode.TooManyRequests ? reply.RetryAfter : null));
        }

        return reply.Json is { ValueKind: JsonValueKind.Object } body
            ? (body, null)
            : (default, new UpstreamPoll.Transient("ComfyUI answered without a JSON object"));
    }

    private async Task PostAsync(string path, JsonObject body, string apiKey, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint(path))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        var reply = await _http.CallAsync(request, apiKey, ct);
        if (!reply.IsSuccess)
        {
            ComfyUiLog.CancelFailed(logger, settings.Id, $"{path} answered {reply.Code}");
        }
    }

    private Uri Endpoint(string path) => new($"{settings.BaseUrl.AbsoluteUri.TrimEnd('/')}/{path}");
}
