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
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>A local provider in builtin's place: models without routes run here, <see cref="MaxConcurrency"/> at a time.</summary>
    public UpstreamSettings Settings => new("builtin", "builtin", new Uri("builtin://local"), [""], TimeSpan.FromMinutes(10), MaxConcurrency, 0,
        new Dictionary<string, string>(), null);

    /// <summary>Tasks whose work saw its cancellation.</summary>
    public ConcurrentDictionary<string, bool> CancelledWork { get; } = new();

    public ConcurrentDictionary<string, bool> Started { get; } = new();

    public static Action<IServiceCollection> Replace(ScriptedProvider provider) => services =>
    {
        services.RemoveAll<IVideoProvider>();
        services.AddSingleton<IVideoProvider>(provider);
    };

    public async Task<UpstreamSubmit> SubmitAsync(UpstreamJob job, CancellationToken ct)
    {
        var prompt = job.Task.Prompt;
        Started[job.Task.Id] = true;
        job.OnProgress(10);
        if (prompt.Contains("fail", StringComparison.Ordinal))
        {
            return new UpstreamSubmit.Rejected("upstream_refused", "The scripted provider refused this prompt.");
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

        var folder = Directory.CreateTempSubdirectory("vidgate-scripted-").FullName;
        var files = new[] { "video.mp4", "thumbnail.webp", "spritesheet.jpg" }.Select(name => Path.Combine(folder, name)).ToArray();
        foreach (var file in files)
        {
            await File.WriteAllBytesAsync(file, [1, 2, 3], ct);
        }

        var match = Short().Match(prompt);
        return new UpstreamSubmit.Finished(new Artifact(files[0], files[1], files[2], folder), match.Success ? int.Parse(match.Groups[1].Value) : null);
    }

    public Task<UpstreamPoll> PollAsync(UpstreamHandle handle, CancellationToken ct) => throw new NotSupportedException("local: never polled");

    public Task CancelAsync(UpstreamHandle handle, CancellationToken ct) => Task.CompletedTask;

    public Task<HttpResponseMessage> OpenResultAsync(UpstreamHandle handle, UpstreamPoll.Done done, CancellationToken ct)
        => throw new NotSupportedException("local: results are files");

    [GeneratedRegex(@"short:(\d+)")]
    private static partial Regex Short();
}
