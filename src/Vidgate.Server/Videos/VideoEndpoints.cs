using System.Globalization;
using Microsoft.Extensions.Options;
using Vidgate.Contracts;
using Vidgate.Server.Accounts;
using Vidgate.Server.ApiDocs;
using Vidgate.Server.Billing;
using Vidgate.Server.Dialects;
using Vidgate.Server.Live;
using Vidgate.Server.Models;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Videos;

/// <summary>
/// <c>/v1/videos</c>: create (seed, OpenAI, legacy grok-video, xAI native), retrieve, list, remix, cancel, delete.
/// Bodies are parsed and rendered by the dialects; this file only wires routes to the service.
/// </summary>
internal static class VideoEndpoints
{
    private const int DefaultListLimit = 20;
    private const int MaxListLimit = 100;
    private const int MaxFilterLength = 200;

    private static readonly Dictionary<string, VideoStatus> Statuses = new(StringComparer.Ordinal)
    {
        ["queued"] = VideoStatus.Queued,
        ["processing"] = VideoStatus.Processing,
        ["in_progress"] = VideoStatus.Processing,
        ["completed"] = VideoStatus.Completed,
        ["failed"] = VideoStatus.Failed,
        ["cancelled"] = VideoStatus.Cancelled,
    };

    private const string CreateDoc = "JSON: the seed dialect unless the body has OpenAI's fields and none of the seed's "
        + "(docs/compatibility.md). Multipart: legacy grok-video when model starts with grok-video-, OpenAI otherwise. "
        + "Send Idempotency-Key to make a retry safe.";

    private const string IdempotencyDoc = "1-255 visible ASCII characters. A retry with the same key (within 24 h) answers the first "
        + "create's task instead of creating and charging a second one; the same key with a different body is a 409.";

    public static RouteGroupBuilder MapVideos(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/videos").RequireCaller();
        group.MapPost("", Create)
            .WithVidgateDocs("Videos", "Create a video (seed, OpenAI or legacy grok-video: the body decides)", DocAuth.Key, 400, 402, 409, 413, 415)
            .Takes(RouteDocs.Json, CreateDoc, typeof(ApiDocs.SeedCreateRequest), typeof(OpenAiCreateJson)).Param("Idempotency-Key", IdempotencyDoc, header: true)
            .Takes(RouteDocs.Multipart, CreateDoc, typeof(OpenAiCreateForm), typeof(LegacyGrokCreateForm))
            .Returns(200, RouteDocs.Json, typeof(SeedVideo), typeof(OpenAiVideo));
        group.MapPost("/generations", CreateXai)
            .WithVidgateDocs("Videos", "Create a video, xAI native", DocAuth.Key, 400, 402, 409, 413, 415)
            .Takes(RouteDocs.Json, null, typeof(XaiCreateRequest)).Param("Idempotency-Key", IdempotencyDoc, header: true).Produces<XaiCreated>();
        group.MapGet("", List)
            .WithVidgateDocs("Videos", "List your videos, newest first (cursor: after)", DocAuth.Key, 400).Produces<OpenAiVideoList>()
            .Param("after", "The last id of the previous page.").Param("limit", "1 to 100, default 20.").Param("order", "desc (default) or asc.")
            .Param("status", "Only videos in this state: queued, processing (or in_progress), completed, failed, cancelled.")
            .Param("model", "Only videos of this model.").Param("q", "Only videos whose prompt contains this text (case-insensitive).");
        group.MapGet("/{id}", Get)
            .WithVidgateDocs("Videos", "Get a video, in the dialect it was created in", DocAuth.Key, 404)
            .Returns(200, RouteDocs.Json, typeof(SeedVideo), typeof(OpenAiVideo), typeof(XaiVideoStatus))
            .Param("wait", "Long-poll: up to this many seconds (0 < wait <= 60) for the status or progress to change; answers at once when it does.");
        group.MapPost("/{id}/remix", Remix)
            .WithVidgateDocs("Videos", "Remix a completed video with a new prompt (OpenAI)", DocAuth.Key, 400, 402, 404, 409, 415)
            .Takes(RouteDocs.Json, null, typeof(RemixRequest)).Takes(RouteDocs.Multipart, null, typeof(RemixRequest)).Param("Idempotency-Key", IdempotencyDoc, header: true).Produces<OpenAiVideo>();
        group.MapPost("/{id}/cancel", Cancel)
            .WithVidgateDocs("Videos", "Cancel a queued or running video (its hold is released)", DocAuth.Key, 404, 409)
            .Returns(200, RouteDocs.Json, typeof(SeedVideo), typeof(OpenAiVideo), typeof(XaiVideoStatus));
        group.MapDelete("/{id}", Delete)
            .WithVidgateDocs("Videos", "Delete a video and its content", DocAuth.Key, 404, 409).Produces<VideoDeleted>();
        return group;
    }

    private static Task<IResult> Create(HttpContext http, CreateVideo create, ContentLinks links, CancellationToken ct)
        => CreateOn(CreateRoute.Videos, http, create, links, ct);

    /// <summary>xAI native create: JSON only, as xAI itself (it rejects multipart).</summary>
    private static Task<IResult> CreateXai(HttpContext http, CreateVideo create, ContentLinks links, CancellationToken ct)
        => CreateOn(CreateRoute.XaiGenerations, http, create, links, ct);

    private static async Task<IResult> CreateOn(CreateRoute route, HttpContext http, CreateVideo create, ContentLinks links, CancellationToken ct)
    {
        var (idempotencyKey, keyError) = IdempotencyKeyOf(http.Request);
        if (keyError is not null)
        {
            return keyError.ToResult();
        }

        var (task, error) = await create.CreateAsync(http.Request, route, http.Caller(), idempotencyKey, ct);
        return error is not null ? error.ToResult() : TaskWire.Created(task!, links.For(task!, http.Request));
    }

    /// <summary>A retrieve; with <c>?wait=N</c> a long-poll: answered as soon as status or progress changes, or after N seconds.</summary>
    private static async Task<IResult> Get(
        string id, string? wait, HttpContext http, VideoService videos, ContentLinks links, TaskFollower follower, TimeProvider clock, CancellationToken ct)
    {
        var (waitFor, waitError) = VideoEvents.WaitOf(wait);
        if (waitError is not null)
        {
            return waitError.ToResult();
        }

        // Watched before the read, so a change between the read and the wait still wakes it.
        using var watch = waitFor is null ? null : follower.Watch(id);
        var task = await videos.GetAsync(http.Caller(), id, ct);
        if (task is { IsFinished: false } && watch is not null)
        {
            task = await follower.NextAsync(watch, task, http.Caller().AccountId, clock.GetUtcNow() + waitFor!.Value, ct);
        }

        return task is null ? VideoService.NotFound(id).ToResult() : TaskWire.Retrieve(task, links.For(task, http.Request), http.Response);
    }

    /// <summary>
    /// OpenAI's cursor page over the caller's own tasks, newest first by default. Every item is in OpenAI's Video shape,
    /// whatever dialect created it: the list envelope is OpenAI's, and its clients type each item as a Video.
    /// </summary>
    private static async Task<IResult> List(
        string? after, string? limit, string? order, string? status, string? model, string? q, HttpContext http, VideoService videos, ContentLinks links,
        CancellationToken ct)
    {
        var size = DefaultListLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxListLimit))
        {
            return ApiError.Invalid("limit", $"'limit' must be a whole number from 1 to {MaxListLimit}.", "invalid_limit").ToResult();
        }

        if (order is not (null or "asc" or "desc"))
        {
            return ApiError.Invalid("order", "'order' must be asc or desc.", "invalid_order").ToResult();
        }

        var (filter, filterError) = ListFilter(status, model, q);
        if (filterError is not null)
        {
            return filterError.ToResult();
        }

        var (page, hasMore) = await videos.ListAsync(http.Caller(), string.IsNullOrEmpty(after) ? null : after, size, order != "asc", filter!, ct);
        return TypedResults.Json(OpenAiDialect.RenderList(page, hasMore, task => links.For(task, http.Request)), ContractsJson.Wire.OpenAiVideoList);
    }

    /// <summary>
    /// The list's optional filters (Vidgate's, not OpenAI's: an OpenAI client never sends them, so its list is unchanged).
    /// <c>status</c> is Vidgate's own state, so <c>failed</c> and <c>cancelled</c> differ although the list's OpenAI shape
    /// shows a cancelled video as failed; <c>in_progress</c> is accepted for <c>processing</c>, as the list shows it.
    /// </summary>
    private static (TaskListFilter? Filter, ApiError? Error) ListFilter(string? status, string? model, string? q)
    {
        VideoStatus? state = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!Statuses.TryGetValue(status, out var parsed))
            {
                return (null, ApiError.Invalid("status", $"'{status}' is not a status: use queued, processing (or in_progress), completed, failed or cancelled.", "invalid_status"));
            }

            state = parsed;
        }

        if (model is { Length: > MaxFilterLength } || q is { Length: > MaxFilterLength })
        {
            return (null, ApiError.Invalid(model is { Length: > MaxFilterLength } ? "model" : "q", $"A filter is at most {MaxFilterLength} characters."));
        }

        return (new TaskListFilter(state, string.IsNullOrEmpty(model) ? null : model, string.IsNullOrEmpty(q) ? null : q), null);
    }

    private static async Task<IResult> Remix(
        string id, HttpContext http, VideoService videos, ContentLinks links, IOptions<VidgateOptions> options, CancellationToken ct)
    {
        var (idempotencyKey, keyError) = IdempotencyKeyOf(http.Request);
        if (keyError is not null)
        {
            return keyError.ToResult();
        }

        var (form, bodyError) = await WireBody.ReadFieldsAsync(http.Request, options.Value, ct);
        var (prompt, promptError) = bodyError is null ? OpenAiDialect.ParseRemix(form!) : (null, bodyError);
        if (promptError is not null)
        {
            return promptError.ToResult();
        }

        var (task, error) = await videos.RemixAsync(http.Caller(), id, prompt!, idempotencyKey, ct);
        if (error is not null)
        {
            // Not finished yet is not transient in the SDKs' sense: their default retry of 409 would only repeat it.
            // A 429 is: the SDKs wait for its Retry-After.
            if (error.Status is 404 or 409)
            {
                http.Response.Headers["x-should-retry"] = "false";
            }

            return error.ToResult();
        }

        return TaskWire.Created(task!, links.For(task!, http.Request));
    }

    /// <summary>The optional <c>Idempotency-Key</c> header: 1–255 visible ASCII characters.</summary>
    private static (string? Key, ApiError? Error) IdempotencyKeyOf(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(Idempotency.Header, out var values))
        {
            return (null, null);
        }

        var key = values.Count == 1 ? values[0] : null;
        return key is { Length: > 0 and <= Idempotency.MaxKeyLength } && key.All(c => c is > ' ' and <= '~')
            ? (key, null)
            : (null, ApiError.Invalid(
                Idempotency.Header, $"Idempotency-Key must be one value of 1 to {Idempotency.MaxKeyLength} visible ASCII characters.", "invalid_idempotency_key"));
    }

    private static async Task<IResult> Cancel(string id, HttpContext http, VideoService videos, ContentLinks links, CancellationToken ct)
    {
        var (task, error) = await videos.CancelAsync(http.Caller(), id, ct);
        return error is null ? TaskWire.Render(task!, links.For(task!, http.Request)) : error.ToResult();
    }

    private static async Task<IResult> Delete(string id, HttpContext http, VideoService videos, CancellationToken ct)
    {
        var error = await videos.DeleteAsync(http.Caller(), id, ct);
        return error is null
            ? TypedResults.Json(new VideoDeleted(id, "video.deleted", true), ContractsJson.Wire.VideoDeleted)
            : error.ToResult();
    }
}
