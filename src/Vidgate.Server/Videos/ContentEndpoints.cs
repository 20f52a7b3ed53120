using Microsoft.Net.Http.Headers;
using Vidgate.Server.Accounts;
using Vidgate.Server.Storage;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Videos;

/// <summary>
/// <c>GET|HEAD /v1/videos/{id}/content?variant=video|thumbnail|spritesheet</c>: streamed from storage with Range,
/// ETag and Last-Modified. Authorised by the bearer key of the owner, or by the signed <c>video_url</c> query.
/// </summary>
internal static class ContentEndpoints
{
    public static IEndpointConventionBuilder MapVideoContent(this IEndpointRouteBuilder routes)
        => routes.MapMethods("/v1/videos/{id}/content", [HttpMethods.Get, HttpMethods.Head], Download)
            .WithVidgateDocs("Videos", "Download the video, thumbnail or spritesheet (Range, ETag; a signed video_url needs no key)", DocAuth.KeyOrSignedLink, 400, 404, 416)
            .Returns(200, "video/mp4").Returns(200, "image/webp").Returns(200, "image/jpeg").Returns(206, "video/mp4")
            .Param("variant", "video (default, video/mp4), thumbnail (image/webp) or spritesheet (image/jpeg).")
            .Param("expires", "With signature: the signed video_url's expiry (Unix seconds); no key needed then.")
            .Param("signature", "With expires: the signed video_url's HMAC.");

    private static async Task<IResult> Download(
        string id, string? variant, string? expires, string? signature,
        HttpContext http, ITaskStore store, IBlobStore blobs, ContentLinks links, CallerResolver callers, CancellationToken ct)
    {
        VideoTask? task;
        if (http.Request.Headers.Authorization.Count == 0 && signature is not null)
        {
            if (!links.IsValid(id, expires, signature))
            {
                return new ApiError(403, "invalid_signature", "This link is invalid or has expired; fetch the video again for a fresh video_url.").ToResult();
            }

            task = await store.GetAsync(id, accountId: null, ct);
        }
        else
        {
            var (caller, error) = await callers.ResolveAsync(http, "Missing or invalid API key. Send it as 'Authorization: Bearer <key>', or use the signed video_url.");
            if (error is not null)
            {
                return error.ToResult();
            }

            task = await store.GetAsync(id, caller!.AccountId, ct);
        }

        if (task is null)
        {
            return VideoService.NotFound(id).ToResult();
        }

        var (key, contentType) = (variant ?? "video") switch
        {
            "video" => (TaskBlobs.Video(id), "video/mp4"),
            "thumbnail" => (TaskBlobs.Thumbnail(id), "image/webp"),
            "spritesheet" => (TaskBlobs.Spritesheet(id), "image/jpeg"),
            _ => (null, null),
        };
        if (key is null)
        {
            return ApiError.Invalid("variant", "'variant' must be video, thumbnail or spritesheet.", "invalid_variant").ToResult();
        }

        if (task.Status != VideoStatus.Completed)
        {
            return ApiError.NotFound($"Video '{id}' is not ready: its status is {task.Status.ToString().ToLowerInvariant()}.", "video_not_ready").ToResult();
        }

        // A bucket that serves downloads itself (presigned GET) takes the bytes off this node.
        if (task.ContentDeletedAt is null && await blobs.DownloadUrlAsync(key, ct) is { } direct)
        {
            http.Response.Headers.CacheControl = "private, no-store";
            return TypedResults.Redirect(direct.AbsoluteUri);
        }

        var content = task.ContentDeletedAt is null ? await blobs.OpenReadAsync(key, ct) : null;
        if (content is null)
        {
            return ApiError.NotFound($"The content of video '{id}' has expired and was removed.", "video_expired").ToResult();
        }

        http.Response.Headers.CacheControl = "private, max-age=3600";
        return TypedResults.Stream(
            content.Stream, contentType, lastModified: content.LastModified,
            entityTag: EntityTagHeaderValue.Parse(content.ETag), enableRangeProcessing: true);
    }
}
