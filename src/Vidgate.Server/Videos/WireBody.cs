using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Vidgate.Server.Dialects;

namespace Vidgate.Server.Videos;

/// <summary>
/// Reads a request body as JSON or <c>multipart/form-data</c>, turning every malformed body (bad JSON, missing boundary,
/// truncated multipart, over-long fields) into a 4xx <see cref="ApiError"/> instead of an exception.
/// </summary>
internal static class WireBody
{
    private const int MaxFields = 64;

    public static bool IsMultipart(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase);

    public static bool IsJson(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The size check every body route shares: a declared length over the limit is refused before reading.</summary>
    public static ApiError? TooLarge(HttpRequest request, VidgateOptions options) =>
        request.ContentLength > options.MaxRequestBodyBytes
            ? new ApiError(413, "request_too_large", $"The request body is larger than the {options.MaxRequestBodyBytes / (1024 * 1024)} MB limit.")
            : null;

    public static ApiError UnsupportedMediaType(HttpRequest request, bool multipart) => new(
        415, "unsupported_media_type",
        (multipart ? "Send the body as application/json or multipart/form-data" : "Send the body as application/json")
        + $"; got '{RequestRules.Clip(request.ContentType ?? "none")}'.");

    /// <summary>A JSON body through the one reader (<see cref="JsonBody"/>): every string of an accepted document decodes.</summary>
    public static Task<(JsonDocument? Document, ApiError? Error)> ReadJsonAsync(HttpRequest request, CancellationToken ct)
        => JsonBody.ReadAsync(request, ct);

    public static async Task<(FormBody? Form, ApiError? Error)> ReadMultipartAsync(HttpRequest request, VidgateOptions options, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            || HeaderUtilities.RemoveQuotes(type.Boundary).Length == 0)
        {
            return (null, ApiError.Invalid("body", "The multipart body has no boundary in its Content-Type header.", "invalid_multipart"));
        }

        var limit = (int)Math.Min(options.MaxRequestBodyBytes, int.MaxValue);
        request.HttpContext.Features.Set<IFormFeature>(new FormFeature(request, new FormOptions
        {
            MultipartBodyLengthLimit = options.MaxRequestBodyBytes,
            ValueLengthLimit = limit,
            ValueCountLimit = MaxFields,
            BufferBody = false,
        }));

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(ct);
        }
        catch (InvalidDataException ex)
        {
            return (null, ApiError.Invalid("body", $"The multipart body could not be read: {ex.Message}", "invalid_multipart"));
        }
        catch (IOException ex) when (!ct.IsCancellationRequested)
        {
            // A body that ends before its closing boundary.
            return (null, ApiError.Invalid("body", $"The multipart body is incomplete: {ex.Message}", "invalid_multipart"));
        }

        var files = new List<FilePart>(form.Files.Count);
        foreach (var file in form.Files)
        {
            byte[]? bytes = null;
            if (file.Length <= options.MaxImageBytes)
            {
                bytes = new byte[file.Length];
                await using var stream = file.OpenReadStream();
                await stream.ReadExactlyAsync(bytes, ct);
            }

            files.Add(new FilePart(file.Name, file.Length, bytes));
        }

        var fields = form.Keys.ToDictionary(key => key, key => form[key], StringComparer.Ordinal);
        return (new FormBody(fields, files), null);
    }

    /// <summary>Text fields from JSON or multipart, for routes whose few fields both encodings carry (remix).</summary>
    public static async Task<(FormBody? Form, ApiError? Error)> ReadFieldsAsync(HttpRequest request, VidgateOptions options, CancellationToken ct)
    {
        if (TooLarge(request, options) is { } tooLarge)
        {
            return (null, tooLarge);
        }

        if (IsMultipart(request))
        {
            return await ReadMultipartAsync(request, options, ct);
        }

        if (!IsJson(request))
        {
            return (null, UnsupportedMediaType(request, multipart: true));
        }

        var (document, error) = await ReadJsonAsync(request, ct);
        using (document)
        {
            return error is not null ? (null, error) : FormBody.FromJson(document!.RootElement);
        }
    }
}
