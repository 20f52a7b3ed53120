using System.Text.Json;
using Microsoft.Extensions.Options;
using Vidgate.Server.Accounts;
using Vidgate.Server.Dialects;
using Vidgate.Server.Models;
using Vidgate.Server.Tasks;
using Vidgate.Server.Webhooks;

namespace Vidgate.Server.Videos;

/// <summary>Which create route a body came in on: <c>POST /v1/videos</c> (three dialects) or xAI's native one.</summary>
internal enum CreateRoute
{
    Videos,
    XaiGenerations,
}

/// <summary>
/// The one create path, whatever the dialect: read the body once → pick the dialect → the dialect translates (no I/O;
/// it lists the remote image URLs it needs) → the ladder validates everything it can without bytes, image counts
/// included → remote images are fetched through the SSRF guard → their bytes are checked → <see cref="VideoService"/>
/// admits and commits the task. A refusal at any step is the caller's 4xx.
/// </summary>
internal sealed class CreateVideo(VideoService videos, ModelCatalog catalog, ImageUrlFetch imageUrls, WebhookUrls callbacks, IOptions<VidgateOptions> options)
{
    public async Task<(VideoTask? Task, ApiError? Error)> CreateAsync(
        HttpRequest request, CreateRoute route, Caller caller, string? idempotencyKey, CancellationToken ct)
    {
        var maxImageBytes = options.Value.MaxImageBytes;
        var (dialect, draft, error) = await TranslateAsync(request, route, ct);
        if (error is not null)
        {
            return (null, error);
        }

        var (checkedCreate, invalid) = CreateLadder.Check(draft!, catalog, maxImageBytes);
        if (invalid is not null)
        {
            return (null, invalid);
        }

        if (checkedCreate!.Request.CallbackUrl is { } callbackUrl && (await callbacks.CheckAsync(callbackUrl, "callback_url", ct)).Error is { } callbackError)
        {
            return (null, callbackError);
        }

        var remote = draft!.RemoteImages.ToList();
        var (fetched, fetchError) = remote.Count == 0 ? ([], null) : await imageUrls.FetchAllAsync(remote, maxImageBytes, ct);
        if (fetchError is not null)
        {
            return (null, fetchError);
        }

        var (videoRequest, imageError) = CreateLadder.Complete(checkedCreate!, fetched, maxImageBytes);
        if (imageError is not null)
        {
            return (null, imageError);
        }

        return await videos.CreateAsync(caller, dialect, videoRequest!, idempotencyKey, ct);
    }

    /// <summary>Reads the body (JSON, or multipart on <c>/v1/videos</c>; xAI itself rejects multipart) and translates it.</summary>
    private async Task<(Dialect Dialect, CreateDraft? Draft, ApiError? Error)> TranslateAsync(HttpRequest request, CreateRoute route, CancellationToken ct)
    {
        var fallback = route == CreateRoute.XaiGenerations ? Dialect.Xai : Dialect.Seed;
        if (WireBody.TooLarge(request, options.Value) is { } tooLarge)
        {
            return (fallback, null, tooLarge);
        }

        if (route == CreateRoute.Videos && WireBody.IsMultipart(request))
        {
            var (form, formError) = await WireBody.ReadMultipartAsync(request, options.Value, ct);
            return formError is not null ? (Dialect.OpenAi, null, formError) : CreateRequests.Translate(form!, options.Value.DefaultModel);
        }

        if (!WireBody.IsJson(request))
        {
            return (fallback, null, WireBody.UnsupportedMediaType(request, multipart: route == CreateRoute.Videos));
        }

        var (document, jsonError) = await WireBody.ReadJsonAsync(request, ct);
        if (jsonError is not null)
        {
            return (fallback, null, jsonError);
        }

        using (document)
        {
            return route == CreateRoute.XaiGenerations ? Xai(document!.RootElement) : CreateRequests.Translate(document!.RootElement, options.Value.DefaultModel);
        }
    }

    private static (Dialect, CreateDraft?, ApiError?) Xai(JsonElement root)
    {
        var (draft, error) = XaiDialect.Translate(root);
        return (Dialect.Xai, draft, error);
    }
}
