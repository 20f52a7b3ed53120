using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Videos;

/// <summary>
/// The create's one question to the providers, before any hold or task row: can a route of this model take the request
/// as asked? A model whose every route refuses one of the request's own values (<c>fit: "strict"</c>) is a 400 naming
/// the field the caller's dialect used and the values accepted. Refusals that are the server's setup (Luma without a
/// public address) stay the submit's: they are not the caller's to fix.
/// </summary>
internal static class CreateFit
{
    public static ApiError? Check(UpstreamRegistry providers, VideoTask task, IReadOnlyList<InputImage> images)
    {
        if (providers.Refusal(task, [.. images.Select(Upstream)]) is not { Fit: { } fit })
        {
            return null;
        }

        var param = Param(task.Dialect, fit.Field);
        var what = (param, fit.Field) switch
        {
            ("size", "aspect_ratio") => "size must have one of the aspect ratios",
            ("size", "resolution") => "size must have a short side of one of",
            ("resolution", "size") => "resolution and aspect_ratio must make one of the sizes",
            _ => param + " must be one of",
        };
        var condition = fit.Condition is { } c ? $" ({c})" : "";
        return ApiError.Invalid(param, $"{what} {string.Join(", ", fit.Accepted)} for {task.Model}{condition}: the provider it is routed to makes no other.", "unsupported_value");
    }

    /// <summary>How each dialect names the request's canonical fields (OpenAI's <c>size</c> carries both shape fields).</summary>
    private static string Param(Dialect dialect, string field) => (dialect, field) switch
    {
        (Dialect.Xai, "seconds") => "duration",
        (_, "seconds") => "seconds",
        (Dialect.OpenAi, _) => "size",
        (_, "aspect_ratio") => "aspect_ratio",
        (Dialect.LegacyGrok, _) => "size",
        _ => "resolution",
    };

    private static UpstreamImage Upstream(InputImage image) => new(image.Bytes, image.Kind switch
    {
        ImageKind.Jpeg => "image/jpeg",
        ImageKind.Webp => "image/webp",
        _ => "image/png",
    });
}
