using Vidgate.Server.Storage;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Providers.Media;

/// <summary>
/// <c>GET /v1/upstream-images/{token}</c>: a task's stored image for the vendor that was sent its signed link
/// (<see cref="UpstreamImageLinks"/>). No key: the signature is the credential. Anything wrong (forged, expired, an image
/// no longer stored) is the same 404, so the route says nothing about which tasks exist.
/// </summary>
internal static class UpstreamImageEndpoints
{
    public static IServiceCollection AddUpstreamImageLinks(this IServiceCollection services)
        => services.AddSingleton<UpstreamImageLinks>().AddHostedService<UpstreamImageLinksStartup>();

    public static IEndpointConventionBuilder MapUpstreamImages(this IEndpointRouteBuilder routes)
        => routes.MapMethods("/v1/upstream-images/{token}", [HttpMethods.Get, HttpMethods.Head], ServeAsync)
            .WithVidgateDocs("Providers", "A task's input image for an upstream that takes images only as URLs (a signed link, valid 1 hour)", DocAuth.None, 404)
            .Returns(200, "image/png").Returns(200, "image/jpeg").Returns(200, "image/webp");

    private static async Task<IResult> ServeAsync(string token, HttpContext http, UpstreamImageLinks links, ITaskStore store, IBlobStore blobs, CancellationToken ct)
    {
        var gone = ApiError.NotFound("This image link is invalid or has expired.").ToResult();
        if (links.Read(token) is not var (taskId, index)
            || await store.GetAsync(taskId, accountId: null, ct) is not { } task
            || index >= task.InputKeys.Count
            || await blobs.OpenReadAsync(task.InputKeys[index], ct) is not { } blob)
        {
            return gone;
        }

        // Vendors' fetchers want a length and an image type (Runway's rules refuse application/octet-stream).
        http.Response.ContentLength = blob.Length;
        http.Response.Headers.CacheControl = "private, max-age=3600";
        var type = Path.GetExtension(task.InputKeys[index]).ToLowerInvariant() switch
        {
            ".png" => "image/png",
            ".webp" => "image/webp",
            _ => "image/jpeg",
        };
        return Results.Stream(blob.Stream, type);
    }
}
