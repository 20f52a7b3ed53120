using System.Text.Json;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.OpenAi;

namespace Vidgate.Tests.Providers.OpenAi;

/// <summary>Status words, progress formats, result URLs and options: the pure parts of the wire format.</summary>
public sealed class OpenAiWireTests
{
    [Theory]
    [InlineData("queued", "Queued")]
    [InlineData("pending", "Queued")]
    [InlineData("SUBMITTED", "Queued")]
    [InlineData("NOT_START", "Queued")]
    [InlineData("processing", "Running")]
    [InlineData("in_progress", "Running")]
    [InlineData("IN_PROGRESS", "Running")]
    [InlineData("in-progress", "Running")]
    [InlineData("Running", "Running")]
    [InlineData("completed", "Completed")]
    [InlineData("succeeded", "Completed")]
    [InlineData("succeed", "Completed")]
    [InlineData("Success", "Completed")]
    [InlineData("done", "Completed")]
    [InlineData("failed", "Failed")]
    [InlineData("FAILURE", "Failed")]
    [InlineData("error", "Failed")]
    [InlineData("cancelled", "Cancelled")]
    [InlineData("canceled", "Cancelled")]
    [InlineData("EXPIRED", "Expired")]
    [InlineData(" queued ", "Queued")]
    [InlineData("unknown", "Unknown")]
    [InlineData("", "Unknown")]
    [InlineData(null, "Unknown")]
    public void Status_words_are_normalised(string? word, string expected) => Assert.Equal(Enum.Parse<UpstreamState>(expected), OpenAiStatus.Normalize(word));

    [Theory]
    [InlineData("""{"progress": 30}""", 30)]
    [InlineData("""{"progress": 30.9}""", 30)]
    [InlineData("""{"progress": "30%"}""", 30)]
    [InlineData("""{"progress": " 45 % "}""", 45)]
    [InlineData("""{"progress": "7"}""", 7)]
    [InlineData("""{"progress": 150}""", 100)]
    [InlineData("""{"progress": -3}""", 0)]
    [InlineData("""{"progress": "soon"}""", null)]
    [InlineData("""{"progress": null}""", null)]
    [InlineData("""{}""", null)]
    public void Progress_is_read_tolerantly(string json, int? expected) =>
        Assert.Equal(expected, OpenAiBody.Progress(JsonDocument.Parse(json).RootElement));

    [Theory]
    [InlineData("""{"video_url": "https://cdn.example/a.mp4"}""", "https://cdn.example/a.mp4")]
    [InlineData("""{"video_url": "", "output": {"url": "https://cdn.example/b.mp4"}}""", "https://cdn.example/b.mp4")]
    [InlineData("""{"metadata": {"url": "https://cdn.example/c.mp4"}}""", "https://cdn.example/c.mp4")]
    [InlineData("""{"url": "https://cdn.example/d.mp4"}""", "https://cdn.example/d.mp4")]
    [InlineData("""{"video_url": "file:///etc/passwd"}""", null)]
    [InlineData("""{"video_url": "not a url"}""", null)]
    public void Result_urls_are_found_where_resellers_put_them(string json, string? expected) =>
        Assert.Equal(expected, OpenAiBody.ResultUrl(JsonDocument.Parse(json).RootElement)?.AbsoluteUri);

    [Fact]
    public void The_new_api_data_envelope_is_unwrapped()
    {
        var job = OpenAiBody.Job(JsonDocument.Parse("""{"code":"success","data":{"task_id":"t1","status":"SUCCESS","progress":"100%"}}""").RootElement);

        Assert.Equal("SUCCESS", OpenAiBody.String(job, "status"));
        Assert.Equal(100, OpenAiBody.Progress(job));
    }

    [Theory]
    [InlineData(null, "Your request was rejected by the safety system.", true)]
    [InlineData("content_policy_violation", "nope", true)]
    [InlineData("MODERATION_BLOCKED", null, true)]
    [InlineData("invalid_value", "seconds must be 4, 8 or 12", false)]
    public void Moderation_is_recognised_by_code_or_wording(string? code, string? message, bool expected) =>
        Assert.Equal(expected, OpenAiErrors.IsModeration(code, message));

    [Theory]
    [InlineData(null, null)]
    [InlineData("""{"create_format":"multipart"}""", null)]
    [InlineData("""{"create_format":"OPENAI_JSON","not_found_grace_seconds":30}""", null)]
    [InlineData("""{"create_format":"xml"}""", "create_format")]
    [InlineData("""{"create_format":3}""", "create_format")]
    [InlineData("""{"not_found_grace_seconds":"soon"}""", "not_found_grace_seconds")]
    [InlineData("""{"workflow":{}}""", "unknown option 'workflow'")]
    [InlineData("""[1]""", "JSON object")]
    public void Options_are_validated_with_actionable_messages(string? options, string? error)
    {
        using var kit = new OpenAiTestKit();
        var settings = UpstreamJobs.Settings("openai", new Uri("https://upstream.example"), "sk-x", options);

        var message = kit.Type.Validate(settings);

        if (error is null)
        {
            Assert.Null(message);
        }
        else
        {
            Assert.Contains(error, message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_instance_without_a_key_is_refused()
    {
        using var kit = new OpenAiTestKit();

        Assert.Contains("API key", kit.Type.Validate(UpstreamJobs.Settings("openai", new Uri("https://upstream.example"), "")), StringComparison.Ordinal);
    }
}
