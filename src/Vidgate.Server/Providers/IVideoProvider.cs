using Vidgate.Server.Tasks;

namespace Vidgate.Server.Providers;

/// <summary>What a provider is asked to do: the task, its reference images as local files, and a private work folder.</summary>
internal sealed record ProviderJob(VideoTask Task, IReadOnlyList<string> InputPaths, string WorkDirectory);

/// <summary>Local result files of a finished job; the dispatcher moves them into storage.</summary>
internal sealed record Artifact(string VideoPath, string ThumbnailPath, string SpritesheetPath);

/// <summary>The outcome of a submit.</summary>
internal abstract record SubmitOutcome
{
    /// <summary>
    /// The work is done (local providers render inside the submit). <see cref="ActualSeconds"/>: the output's length when
    /// the provider made less than asked (the caller then pays for what it got); null means as asked.
    /// </summary>
    public sealed record Finished(Artifact Artifact, int? ActualSeconds = null) : SubmitOutcome;

    /// <summary>The provider refused or failed; <see cref="Code"/> is shown to the caller as <c>error.code</c>.</summary>
    public sealed record Failed(string Code, string Message) : SubmitOutcome;
}

/// <summary>
/// The provider seam: builtin ffmpeg today; xAI, OpenAI-compatible and ComfyUI behind the same interface.
/// Remote providers extend the outcome with "accepted upstream" plus poll / cancel / open-result (see
/// docs/architecture.md, "Providers"); the dispatcher, store and dialects do not change for that.
/// </summary>
internal interface IVideoProvider
{
    /// <summary>The route name models point at (<c>builtin</c>, <c>xai</c>, …).</summary>
    string Name { get; }

    /// <summary>Jobs this node runs on this provider at once.</summary>
    int MaxConcurrency { get; }

    /// <summary>Starts (and, for local providers, does) the work. Progress is 0..99; cancellation must stop the work promptly.</summary>
    Task<SubmitOutcome> SubmitAsync(ProviderJob job, Action<int> onProgress, CancellationToken ct);

    /// <summary>Null when the provider can take work; otherwise what is wrong (shown by /readyz).</summary>
    Task<string?> CheckAsync(CancellationToken ct);
}
