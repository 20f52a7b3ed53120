using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Vidgate.Tests.Support;

/// <summary>Small helpers over the HTTP API, shared by the tests.</summary>
public static class Api
{
    public const string SeedBody = """
        {
            "model": "grok-imagine-video",
            "prompt": "A city street in the early morning, sunlight filtering through leaves, camera slowly moving forward",
            "seconds": "8",
            "aspect_ratio": "16:9",
            "resolution": "720P"
          }
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, string json)
        => client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), Ct);

    public static async Task<JsonElement> CreateAsync(this HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/v1/videos", body, Ct);
        return await OkJsonAsync(response);
    }

    public static async Task<JsonElement> OkJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JsonElement> GetVideoAsync(this HttpClient client, string id)
        => await OkJsonAsync(await client.GetAsync($"/v1/videos/{id}", Ct));

    /// <summary>Polls until the task reaches <paramref name="status"/> (or a final status), checking progress never goes down.</summary>
    public static async Task<JsonElement> WaitForAsync(this HttpClient client, string id, string status, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        var lastProgress = 0;
        while (true)
        {
            var video = await client.GetVideoAsync(id);
            var progress = video.GetProperty("progress").GetInt32();
            Assert.InRange(progress, lastProgress, 100);
            lastProgress = progress;
            var current = video.GetProperty("status").GetString();
            if (current == status)
            {
                return video;
            }

            if (current is "completed" or "failed" or "cancelled")
            {
                Assert.Fail($"task {id} ended {current}, expected {status}: {video}");
            }

            Assert.True(DateTime.UtcNow < deadline, $"task {id} still {current} after the timeout");

            // A read is cheap (served from memory at the current write generation); a short step ends the wait sooner.
            await Task.Delay(25, Ct);
        }
    }

    /// <summary>Asserts the documented error shape and returns the error object.</summary>
    public static async Task<JsonElement> ErrorAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error").Clone();
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("type").GetString()));
        Assert.True(error.TryGetProperty("param", out _));
        Assert.True(error.TryGetProperty("code", out _));
        return error;
    }
}
