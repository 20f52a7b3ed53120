using System.Collections.Concurrent;
using System.Text.Json;
using Vidgate.Server.Providers;
using Vidgate.Server.Tasks;

namespace Vidgate.Tests.Providers;

/// <summary>Canonical tasks, jobs and settings for driving provider classes directly.</summary>
internal static class UpstreamJobs
{
    public static VideoTask Task(string prompt = "a red fox running through snow, moving forward", int seconds = 6, int width = 1280, int height = 720) => new()
    {
        Id = VideoTask.NewId(),
        AccountId = "acct_test",
        KeyId = "key_test",
        Dialect = Dialect.Seed,
        Model = "grok-imagine-video",
        Prompt = prompt,
        Seconds = seconds,
        Width = width,
        Height = height,
        AspectRatio = "16:9",
        Resolution = "720P",
        Provider = "up-test",
        CreatedAt = DateTimeOffset.UtcNow,
    };

    public static UpstreamJob Job(VideoTask task, string apiKey, params UpstreamImage[] images) =>
        new(task, images, "upstream-" + task.Model, apiKey, task.Id);

    public static UpstreamSettings Settings(string type, Uri baseUrl, string apiKey, string? options = null, TimeSpan? timeout = null) => new(
        "up-test", type, baseUrl, apiKey.Length == 0 ? [] : [apiKey], timeout ?? TimeSpan.FromSeconds(10), 0, 0,
        new Dictionary<string, string>(), options is null ? null : JsonDocument.Parse(options).RootElement.Clone());

    public static UpstreamHandle Handle(string upstreamId, string apiKey) => new("up-test", upstreamId, 0, apiKey, null);
}

/// <summary>Stands in for the SSRF guard (which refuses loopback): fetches plainly and records what it was asked.</summary>
internal sealed class RecordingFetcher : IGuardedFetcher, IDisposable
{
    private readonly HttpClient _http = new();

    public ConcurrentQueue<(Uri Url, IReadOnlyDictionary<string, string>? Headers)> Calls { get; } = new();

    public Task<HttpResponseMessage> GetAsync(Uri url, IReadOnlyDictionary<string, string>? headers, CancellationToken ct)
    {
        Calls.Enqueue((url, headers));
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }

    public void Dispose() => _http.Dispose();
}
