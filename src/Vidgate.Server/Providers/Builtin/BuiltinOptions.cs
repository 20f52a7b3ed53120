using System.ComponentModel.DataAnnotations;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>Deploy-time settings of the builtin ffmpeg preview renderer (section <c>Providers:Builtin</c>).</summary>
internal sealed class BuiltinOptions
{
    public const string Section = "Providers:Builtin";

    /// <summary>ffmpeg executable; a bare name is looked up on PATH.</summary>
    [Required]
    public string FfmpegPath { get; set; } = "ffmpeg";

    /// <summary>x264 preset. veryfast is the speed/quality balance the benchmarks are held to.</summary>
    [Required]
    public string Preset { get; set; } = "veryfast";

    /// <summary>Renders at once on this node. Default: one per two cores, at least one.</summary>
    [Range(1, 256)]
    public int Concurrency { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>A render that takes longer than this is killed and the task fails.</summary>
    public TimeSpan RenderTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Draws a small "preview" tag in the bottom-right corner of every builtin render, so nobody mistakes a sketch for a
    /// model's output. On by default; turn it off for demos that put their own caption there.
    /// </summary>
    public bool PreviewLabel { get; set; } = true;

    /// <summary>
    /// Draws a tiny scene once at startup (in the background) so the first render is as fast as the next ones; see
    /// <see cref="BuiltinWarmUp"/>.
    /// </summary>
    public bool WarmUp { get; set; } = true;

    /// <summary>Frames per second of every builtin render; frame count = seconds × Fps.</summary>
    public const int Fps = 24;
}
