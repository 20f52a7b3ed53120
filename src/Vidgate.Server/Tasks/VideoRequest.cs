namespace Vidgate.Server.Tasks;

/// <summary>A create request after a dialect parsed and validated it: the canonical input of every create.</summary>
internal sealed record VideoRequest(
    string Model,
    string Prompt,
    int Seconds,
    int Width,
    int Height,
    string AspectRatio,
    string Resolution,
    IReadOnlyList<InputImage> Images)
{
    /// <summary>Set by remix: the completed task this request starts from.</summary>
    public string? RemixedFromId { get; init; }

    /// <summary>Where this task's ending events are also POSTed (<c>callback_url</c>; see docs/webhooks.md), else null.</summary>
    public string? CallbackUrl { get; init; }
}

/// <summary>A decoded, sniffed reference image.</summary>
internal sealed record InputImage(byte[] Bytes, ImageKind Kind, int Width, int Height)
{
    public string Extension => Kind switch
    {
        ImageKind.Png => "png",
        ImageKind.Jpeg => "jpg",
        ImageKind.Webp => "webp",
        _ => throw new System.Diagnostics.UnreachableException(),
    };
}

internal enum ImageKind
{
    Png,
    Jpeg,
    Webp,
}
