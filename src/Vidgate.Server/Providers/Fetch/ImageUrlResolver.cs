using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Vidgate.Server.Dialects;
using Vidgate.Server.Hosting;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Providers.Fetch;

/// <summary>
/// OpenAI's <c>input_reference[image_url]</c> as an http(s) URL: fetched at create time through the SSRF guard (size
/// cap, time limit, bytes sniffed as PNG/JPEG/WebP) and put back into the form as a data URL, so the dialect's own image
/// rules then apply unchanged. Every failure is the caller's 400, never a 500.
/// </summary>
internal sealed class ImageUrlResolver(IGuardedFetcher fetcher, IOptions<FetchOptions> options)
{
    private static readonly string[] Fields = ["input_reference[image_url]", "input_reference"];

    public async Task<(FormBody? Form, ApiError? Error)> ResolveAsync(FormBody form, long maxBytes, CancellationToken ct)
    {
        foreach (var name in Fields)
        {
            var text = form.Text(name)?.Trim();
            if (text is null || !(text.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("http://", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            if (!Uri.TryCreate(text, UriKind.Absolute, out var url))
            {
                return (null, ApiError.Invalid(name, $"'{name}' must be an http(s) URL or a data URL.", "invalid_image_url"));
            }

            var (dataUrl, error) = await FetchAsync(url, name, maxBytes, ct);
            if (error is not null)
            {
                return (null, error);
            }

            var fields = new Dictionary<string, StringValues>(form.Fields, StringComparer.Ordinal) { [name] = dataUrl };
            return (form with { Fields = fields }, null);
        }

        return (form, null);
    }

    /// <summary>
    /// Fetches every http(s) URL of <paramref name="urls"/> (xAI's <c>image.url</c>, <c>reference_images[i].url</c>) at
    /// once; the answer maps each URL to its data URL, or is the first failure as the caller's 400.
    /// </summary>
    public async Task<(IReadOnlyDictionary<string, string> DataUrls, ApiError? Error)> FetchAllAsync(
        IReadOnlyList<(string Url, string Param)> urls, long maxBytes, CancellationToken ct)
    {
        var fetched = await Task.WhenAll(urls.Select(async u => Uri.TryCreate(u.Url.Trim(), UriKind.Absolute, out var url)
            ? (u.Url, await FetchAsync(url, u.Param, maxBytes, ct))
            : (u.Url, (null, ApiError.Invalid(u.Param, $"'{u.Param}' must be an http(s) URL or a data URL.", "invalid_image_url")))));
        if (fetched.FirstOrDefault(f => f.Item2.Error is not null) is { Item2.Error: { } error })
        {
            return (new Dictionary<string, string>(), error);
        }

        var dataUrls = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (url, (dataUrl, _)) in fetched)
        {
            dataUrls[url] = dataUrl!;
        }

        return (dataUrls, null);
    }

    private async Task<(string? DataUrl, ApiError? Error)> FetchAsync(Uri url, string param, long maxBytes, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.ImageTimeout);
        try
        {
            using var response = await fetcher.GetAsync(url, null, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                return (null, ApiError.Invalid(param, $"Fetching '{param}' returned HTTP {(int)response.StatusCode}.", "image_url_unreachable"));
            }

            if (response.Content.Headers.ContentLength > maxBytes)
            {
                return (null, TooLarge(param, maxBytes));
            }

            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, timeout.Token)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    return (null, TooLarge(param, maxBytes));
                }

                buffer.Write(chunk, 0, read);
            }

            var bytes = buffer.ToArray();
            if (ImageSniffer.Sniff(bytes) is not { } sniffed)
            {
                return (null, ApiError.Invalid(param, $"'{param}' does not point at a PNG, JPEG or WebP image.", "invalid_image"));
            }

            var mime = sniffed.Kind switch
            {
                ImageKind.Png => "image/png",
                ImageKind.Webp => "image/webp",
                _ => "image/jpeg",
            };
            return ($"data:{mime};base64,{Convert.ToBase64String(bytes)}", null);
        }
        catch (FetchRefusedException ex)
        {
            return (null, ApiError.Invalid(param, $"'{param}' cannot be fetched: {ex.Message}.", "image_url_refused"));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, ApiError.Invalid(param, $"Fetching '{param}' took longer than {options.Value.ImageTimeout.TotalSeconds:0} s.", "image_url_unreachable"));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return (null, ApiError.Invalid(param, $"'{param}' could not be fetched: {ex.Message}", "image_url_unreachable"));
        }
    }

    private static ApiError TooLarge(string param, long maxBytes)
        => ApiError.Invalid(param, $"The image at '{param}' is larger than the {maxBytes / (1024 * 1024)} MB limit for one image.", "image_too_large");
}
