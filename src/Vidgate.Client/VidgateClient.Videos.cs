using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using Vidgate.Contracts;

namespace Vidgate.Client;

public sealed partial class VidgateClient
{
    private const string IdempotencyHeader = "Idempotency-Key";
    private const string LegacyModelPrefix = "grok-video-";

    /// <summary>
    /// Creates a video and answers at once with it <c>queued</c>. Carries an <c>Idempotency-Key</c> (yours, or a new
    /// GUID), so the call is retried on 429/503 or a dropped connection without ever making two videos.
    /// </summary>
    public Task<SeedVideo> CreateAsync(VideoCreateRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Prompt);
        if (request.Upload == ImageUpload.Multipart && request.Model?.StartsWith(LegacyModelPrefix, StringComparison.Ordinal) != true)
        {
            throw new ArgumentException(
                $"Multipart upload is the {LegacyModelPrefix}* models' dialect; use ImageUpload.DataUri for '{request.Model ?? "the default model"}'.",
                nameof(request));
        }

        request = request with { Model = string.IsNullOrWhiteSpace(request.Model) ? _options.DefaultModel : request.Model };
        var key = request.IdempotencyKey ?? Guid.NewGuid().ToString("N");
        Func<HttpContent?> content = request.Upload == ImageUpload.Multipart ? () => Multipart(request) : () => Json(request);
        return SendJsonAsync(HttpMethod.Post, "v1/videos", ContractsJson.Default.SeedVideo, content, retry: true, ct,
            r => r.Headers.Add(IdempotencyHeader, key));
    }

    /// <summary>The video as it is now (status, progress, <c>video_url</c> once completed, error once failed).</summary>
    public Task<SeedVideo> GetAsync(string id, CancellationToken ct = default)
        => SendJsonAsync(HttpMethod.Get, $"v1/videos/{Escape(id)}", ContractsJson.Default.SeedVideo, null, retry: true, ct);

    /// <summary>
    /// Every video of this key's account, newest first (or oldest first with <paramref name="ascending"/>), fetched a page
    /// at a time as you enumerate. Items are in OpenAI's Video shape, as the server lists them.
    /// </summary>
    public async IAsyncEnumerable<OpenAiVideo> ListAsync(
        int pageSize = 20, bool ascending = false, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        string? after = null;
        while (true)
        {
            var path = "v1/videos" + Query(("limit", Int(pageSize)), ("order", ascending ? "asc" : "desc"), ("after", after));
            var page = await SendJsonAsync(HttpMethod.Get, path, ContractsJson.Default.OpenAiVideoList, null, retry: true, ct).ConfigureAwait(false);
            foreach (var video in page.Data)
            {
                yield return video;
            }

            if (!page.HasMore || page.Data.Count == 0)
            {
                yield break;
            }

            after = page.LastId ?? page.Data[^1].Id;
        }
    }

    /// <summary>Cancels a queued or running video; its hold is released. A finished video answers 409.</summary>
    public Task<SeedVideo> CancelAsync(string id, CancellationToken ct = default)
        => SendJsonAsync(HttpMethod.Post, $"v1/videos/{Escape(id)}/cancel", ContractsJson.Default.SeedVideo, null, retry: false, ct);

    /// <summary>Deletes a video and its files; a running one is cancelled first.</summary>
    public Task<VideoDeleted> DeleteAsync(string id, CancellationToken ct = default)
        => SendJsonAsync(HttpMethod.Delete, $"v1/videos/{Escape(id)}", ContractsJson.Default.VideoDeleted, null, retry: true, ct);

    /// <summary>The models this key may use, with their limits and this key's prices.</summary>
    public async Task<IReadOnlyList<ModelInfo>> ListModelsAsync(CancellationToken ct = default)
        => (await SendJsonAsync(HttpMethod.Get, "v1/models", ContractsJson.Default.ListOfModelInfo, null, retry: true, ct).ConfigureAwait(false)).Data;

    private static JsonContent Json(VideoCreateRequest request) => JsonContent.Create(
        new SeedCreateRequest(
            request.Model,
            request.Prompt,
            request.Seconds?.ToString(CultureInfo.InvariantCulture),
            request.AspectRatio,
            request.Resolution,
            request.Images.Count == 0 ? null : [.. request.Images.Select(i => i.ToDataUri())]),
        ClientJson.Default.SeedCreateRequest);

    // The reseller multipart dialect: the only one with aspect_ratio, a resolution tier ("size") and repeatable file
    // parts, and it answers in the same (seed) shape as the JSON create.
    private static MultipartFormDataContent Multipart(VideoCreateRequest request)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent(request.Model!), "model" },
            { new StringContent(request.Prompt), "prompt" },
        };
        if (request.Seconds is { } seconds)
        {
            form.Add(new StringContent(seconds.ToString(CultureInfo.InvariantCulture)), "seconds");
        }

        if (request.AspectRatio is { } aspect)
        {
            form.Add(new StringContent(aspect), "aspect_ratio");
        }

        if (request.Resolution is { } resolution)
        {
            form.Add(new StringContent(resolution), "size");
        }

        foreach (var image in request.Images)
        {
            var part = new ReadOnlyMemoryContent(image.Bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue(image.ContentType);
            form.Add(part, "input_reference", image.FileName);
        }

        return form;
    }
}
