using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Vidgate.Contracts;
using Vidgate.Server.Accounts;
using Vidgate.Server.Dialects;
using Vidgate.Server.Hosting;
using Vidgate.Server.Models;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Videos;

/// <summary><c>/v1/videos</c>: create, retrieve, cancel, delete. Bodies are parsed and rendered by the task's dialect.</summary>
internal static class VideoEndpoints
{
    public static RouteGroupBuilder MapVideos(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/videos").RequireCaller();
        group.MapPost("", Create);
        group.MapGet("/{id}", Get);
        group.MapPost("/{id}/cancel", Cancel);
        group.MapDelete("/{id}", Delete);
        return group;
    }

    private static async Task<IResult> Create(
        HttpContext http, VideoService videos, ModelCatalog catalog, ContentLinks links, IOptions<VidgateOptions> options, CancellationToken ct)
    {
        var request = http.Request;
        if (request.ContentLength > options.Value.MaxRequestBodyBytes)
        {
            return TooLarge(options.Value);
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return new ApiError(415, "unsupported_media_type",
                $"Send the body as application/json; got '{RequestRules.Clip(request.ContentType ?? "none")}'.").ToResult();
        }

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, default, ct);
        }
        catch (JsonException ex)
        {
            return ApiError.Invalid("body", $"The body is not valid JSON: {ex.Message}", "invalid_json").ToResult();
        }

        using (document)
        {
            var (parsed, error) = SeedDialect.Parse(document.RootElement, catalog, options.Value.MaxImageBytes);
            if (error is not null)
            {
                return error.ToResult();
            }

            var task = await videos.CreateAsync(http.Caller(), Dialect.Seed, parsed!, ct);
            return Render(task, links, request);
        }
    }

    private static async Task<IResult> Get(string id, HttpContext http, VideoService videos, ContentLinks links, CancellationToken ct)
    {
        var task = await videos.GetAsync(http.Caller(), id, ct);
        return task is null ? VideoService.NotFound(id).ToResult() : Render(task, links, http.Request);
    }

    private static async Task<IResult> Cancel(string id, HttpContext http, VideoService videos, ContentLinks links, CancellationToken ct)
    {
        var (task, error) = await videos.CancelAsync(http.Caller(), id, ct);
        return error is null ? Render(task!, links, http.Request) : error.ToResult();
    }

    private static async Task<IResult> Delete(string id, HttpContext http, VideoService videos, CancellationToken ct)
    {
        var error = await videos.DeleteAsync(http.Caller(), id, ct);
        return error is null
            ? TypedResults.Json(new VideoDeleted(id, "video.deleted", true), ContractsJson.Wire.VideoDeleted)
            : error.ToResult();
    }

    private static IResult Render(VideoTask task, ContentLinks links, HttpRequest request) => task.Dialect switch
    {
        Dialect.Seed => TypedResults.Json(SeedDialect.Render(task, links.For(task, request)), ContractsJson.Wire.SeedVideo),
        _ => throw new System.Diagnostics.UnreachableException(),
    };

    private static IResult TooLarge(VidgateOptions options) =>
        new ApiError(413, "request_too_large", $"The request body is larger than the {options.MaxRequestBodyBytes / (1024 * 1024)} MB limit.").ToResult();
}
