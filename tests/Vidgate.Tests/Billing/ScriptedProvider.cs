using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Vidgate.Server.Providers;

namespace Vidgate.Tests.Billing;

/// <summary>
/// A test-only provider in place of <c>builtin</c> whose outcome the prompt decides, so billing tests control what
/// happens without rendering: <c>fail</c> (refused at submit), <c>crash</c> (throws mid-work), <c>hang</c> (runs until
/// cancelled), <c>short:N</c> (finishes with N seconds), anything else finishes as asked.
/// </summary>
internal sealed partial class ScriptedProvider : IVideoProvider
{
    public string Name => "builtin";

    public int MaxConcurrency { get; init; } = 4;

    /// <summary>Tasks whose work saw its cancellation.</summary>
    public ConcurrentDictionary<string, bool> CancelledWork { get; } = new();

    public ConcurrentDictionary<string, bool> Started { get; } = new();

    public static Action<IServiceCollection> Replace(ScriptedProvider provider) => services =>
    {
        services.RemoveAll<IVideoProvider>();
        services.AddSingleton<IVideoProvider>(provider);
    };

    public async Task<SubmitOutcome> SubmitAsync(ProviderJob job, Action<int> onProgress, CancellationToken ct)
    {
        var prompt = job.Task.Prompt;
        Started[job.Task.Id] = true;
        onProgress(10);
        if (prompt.Contains("fail", StringComparison.Ordinal))
        {
            return new SubmitOutcome.Failed("upstream_refused", "The scripted provider refused this prompt.");
        }

        if (prompt.Contains("crash", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("scripted crash");
        }

        if (prompt.Contains("hang", StringComparison.Ordinal))
        {
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                CancelledWork[job.Task.Id] = true;
                throw;
            }
        }

        var files = new[] { "video.mp4", "thumbnail.webp", "spritesheet.jpg" }.Select(name => Path.Combine(job.WorkDirectory, name)).ToArray();
        foreach (var file in files)
        {
            await File.WriteAllBytesAsync(file, [1, 2, 3], ct);
        }

        var match = Short().Match(prompt);
        return new SubmitOutcome.Finished(new Artifact(files[0], files[1], files[2]), match.Success ? int.Parse(match.Groups[1].Value) : null);
    }

    public Task<string?> CheckAsync(CancellationToken ct) => Task.FromResult<string?>(null);

    [GeneratedRegex(@"short:(\d+)")]
    private static partial Regex Short();
}
