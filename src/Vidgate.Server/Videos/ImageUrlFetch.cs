using Microsoft.Extensions.Options;
using Vidgate.Server.Dialects;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Fetch;

namespace Vidgate.Server.Videos;

/// <summary>
/// The http(s) image URLs of a create (OpenAI's <c>input_reference[image_url]</c>, xAI's <c>image.url</c> and
/// <c>reference_images[i].url</c>), fetched through the SSRF guard once the ladder has counted them: size cap, time
/// limit, bytes sniffed as PNG/JPEG/WebP. Request-side, so it lives with the create path; the guard itself knows no
/// dialect. Every failure is the caller's 400 naming the field, never a 500.
/// </summary>
internal sealed class ImageUrlFetch(IGuardedFetcher fetcher, IOptions<FetchOptions> options)
{
    /// <summary>Fetches all at once; the bytes in input order, or the first failure in input order.</summary>
    public async Task<(IReadOnlyList<byte[]> Images, ApiError? Error)> FetchAllAsync(IReadOnlyList<ImageInput> remote, long maxBytes, CancellationToken ct)
    {
        var fetched = await Task.WhenAll(remote.Select(input =>
        {
            var param = input.FetchParam ?? input.Param;
            return Uri.TryCreate(input.Text!.Trim(), UriKind.Absolute, out var url)
                ? FetchAsync(url, param, maxBytes, ct)
                : Task.FromResult<(byte[]? Bytes, ApiError? Error)>((null, CreateErrors.ImageUrlInvalid(param)));
        }));
        return fetched.FirstOrDefault(f => f.Error is not null) is { Error: { } error }
            ? ([], error)
            : ([.. fetched.Select(f => f.Bytes!)], null);
    }

    private async Task<(byte[]? Bytes, ApiError? Error)> FetchAsync(Uri url, string param, long maxBytes, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.ImageTimeout);
        try
        {
            using var response = await fetcher.GetAsync(url, null, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                return (null, CreateErrors.ImageUrlStatus(param, (int)response.StatusCode));
            }

            if (response.Content.Headers.ContentLength > maxBytes)
            {
                return (null, CreateErrors.ImageUrlTooLarge(param, maxBytes));
            }

            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, timeout.Token)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    return (null, CreateErrors.ImageUrlTooLarge(param, maxBytes));
                }

                buffer.Write(chunk, 0, read);
            }

            var bytes = buffer.ToArray();
            return ImageSniffer.Sniff(bytes) is null ? (null, CreateErrors.ImageUrlNotAnImage(param)) : (bytes, null);
        }
        catch (FetchRefusedException ex)
        {
            return (null, CreateErrors.ImageUrlRefused(param, ex.Message));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, CreateErrors.ImageUrlTimeout(param, options.Value.ImageTimeout));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return (null, CreateErrors.ImageUrlFailed(param, ex.Message));
        }
    }
}
