using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Vidgate.Server.ApiDocs;

// The create bodies as the API description shows them. The dialects read bodies field by field (a model-bound type
// could not say "string or number", refuse unknown fields per dialect, or keep the seed's own fields winning), so these
// types exist for the description only; docs/compatibility.md is the rule they follow.

[Description("Seed (grok-imagine-video) create, JSON. Chosen when the body has any of aspect_ratio, resolution, image, images, or none of OpenAI's fields. Unknown fields are ignored.")]
internal sealed class SeedCreateRequest
{
    [Description("A catalog model (GET /v1/models).")]
    public required string Model { get; init; }

    [Description("1 to 4096 code points.")]
    public required string Prompt { get; init; }

    [Description("1 to 15, a string or a number; default 6.")]
    public string? Seconds { get; init; }

    [Description("A preset (16:9, 9:16, 1:1, 4:3, 3:4, 3:2, 2:3) or N:M within 1:4..4:1; default 16:9.")]
    public string? AspectRatio { get; init; }

    [Description("480P or 720P (480 and 720 as numbers too).")]
    public string? Resolution { get; init; }

    [Description("One reference image as a data URI (PNG, JPEG or WebP). Not with images.")]
    public string? Image { get; init; }

    [Description("1 to 7 reference images as data URIs. Not with image.")]
    public IReadOnlyList<string>? Images { get; init; }
}

[Description("OpenAI Videos create, JSON (openai-node < 6.28): has size or input_reference or a sora-* model, and none of the seed's fields. Unknown fields are a 400 unknown_parameter.")]
internal sealed class OpenAiCreateJson
{
    [Description("Default Vidgate:DefaultModel (sora-2).")]
    public string? Model { get; init; }

    [Description("1 to 4096 code points.")]
    public required string Prompt { get; init; }

    [Description("sora-2*: 4, 8 or 12 (default 4); other models 1 to 15.")]
    public string? Seconds { get; init; }

    [Description("WxH, e.g. 1280x720 or 720x1280.")]
    public string? Size { get; init; }

    [Description("One reference image by URL (a data URL, or an http(s) URL fetched through the SSRF guard).")]
    public OpenAiImageReference? InputReference { get; init; }
}

internal sealed class OpenAiImageReference
{
    public required string ImageUrl { get; init; }
}

[Description("OpenAI Videos create, multipart (openai-node >= 6.28, openai-python): any multipart body whose model does not start with grok-video-. Unknown fields are a 400 unknown_parameter.")]
internal sealed class OpenAiCreateForm
{
    [Description("Default Vidgate:DefaultModel (sora-2).")]
    public string? Model { get; init; }

    [Description("1 to 4096 code points.")]
    public required string Prompt { get; init; }

    [Description("sora-2*: 4, 8 or 12 (default 4); other models 1 to 15.")]
    public string? Seconds { get; init; }

    [Description("WxH, e.g. 1280x720 or 720x1280.")]
    public string? Size { get; init; }

    [Description("One reference image file (PNG, JPEG or WebP, checked by its bytes).")]
    public IFormFile? InputReference { get; init; }

    [JsonPropertyName("input_reference[image_url]")]
    [Description("Or the reference image by URL: a data URL, or an http(s) URL fetched through the SSRF guard.")]
    public string? InputReferenceImageUrl { get; init; }
}

[Description("Legacy grok-video create, multipart: a model starting with grok-video-. Unknown fields are a 400 unknown_parameter.")]
internal sealed class LegacyGrokCreateForm
{
    [Description("grok-video-1.5, grok-video-3 and their -pro (10 s) / -max (15 s) variants.")]
    public required string Model { get; init; }

    [Description("1 to 4096 code points.")]
    public required string Prompt { get; init; }

    [Description("1 to 15 for the base models.")]
    public string? Seconds { get; init; }

    [Description("A preset or N:M within 1:4..4:1.")]
    public string? AspectRatio { get; init; }

    [Description("480P, 540P, 720P or 1080P.")]
    public string? Size { get; init; }

    [Description("Reference image files, up to 7 (repeat the part); a data-URI text part works too.")]
    public IReadOnlyList<IFormFile>? InputReference { get; init; }
}

[Description("xAI native create (POST /v1/videos/generations), JSON only. Unknown fields are ignored.")]
internal sealed class XaiCreateRequest
{
    [Description("Default grok-imagine-video.")]
    public string? Model { get; init; }

    [Description("1 to 4096 code points.")]
    public required string Prompt { get; init; }

    [Description("1 to 15 seconds; default 6.")]
    public int? Duration { get; init; }

    [Description("A preset or N:M within 1:4..4:1.")]
    public string? AspectRatio { get; init; }

    [Description("480p or 720p (default 720p).")]
    public string? Resolution { get; init; }

    [Description("One reference image: a data URL or an http(s) URL (fetched through the SSRF guard).")]
    public XaiImage? Image { get; init; }

    [Description("1 to 7 reference images. Not with image.")]
    public IReadOnlyList<XaiImage>? ReferenceImages { get; init; }
}

internal sealed class XaiImage
{
    public required string Url { get; init; }
}

[Description("Remix of a completed video, JSON or multipart: only prompt.")]
internal sealed class RemixRequest
{
    [Description("1 to 4096 code points.")]
    public required string Prompt { get; init; }
}
