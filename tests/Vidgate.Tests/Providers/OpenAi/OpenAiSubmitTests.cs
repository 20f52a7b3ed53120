using Vidgate.Fakes;
using Vidgate.Server.Providers;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers.OpenAi;

public sealed class OpenAiSubmitTests : IAsyncLifetime
{
    private readonly OpenAiTestKit _kit = new();
    private FakeOpenAiUpstream _fake = null!;

    public async ValueTask InitializeAsync() => _fake = await FakeOpenAiUpstream.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _fake.DisposeAsync();
        _kit.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Default_json_format_sends_the_seed_body_with_key_and_idempotency_key()
    {
        var provider = _kit.Create(_fake);
        var task = UpstreamJobs.Task(seconds: 6);
        var png = new UpstreamImage(await TestImages.BytesAsync("png"), "image/png");

        var result = await provider.SubmitAsync(UpstreamJobs.Job(task, _fake.ApiKey, png), Ct);

        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(result);
        Assert.StartsWith("video_", accepted.UpstreamId, StringComparison.Ordinal);
        var request = Assert.Single(_fake.Requests, r => r.Method == "POST");
        Assert.Equal("/v1/videos", request.Path);
        Assert.Equal($"Bearer {_fake.ApiKey}", request.Authorization);
        Assert.Equal(task.Id, request.IdempotencyKey);
        Assert.Equal("upstream-grok-imagine-video", request.Json!["model"]!.GetValue<string>());
        Assert.Equal(task.Prompt, request.Json["prompt"]!.GetValue<string>());
        Assert.Equal("6", request.Json["seconds"]!.GetValue<string>());
        Assert.Equal("16:9", request.Json["aspect_ratio"]!.GetValue<string>());
        Assert.Equal("720P", request.Json["resolution"]!.GetValue<string>());
        Assert.Equal(png.DataUri, request.Json["image"]!.GetValue<string>());
        Assert.Null(request.Json["images"]);
    }

    [Fact]
    public async Task A_retried_create_with_the_same_task_gets_the_same_upstream_job()
    {
        var provider = _kit.Create(_fake);
        var job = UpstreamJobs.Job(UpstreamJobs.Task(), _fake.ApiKey);

        var first = Assert.IsType<UpstreamSubmit.Accepted>(await provider.SubmitAsync(job, Ct));
        var second = Assert.IsType<UpstreamSubmit.Accepted>(await provider.SubmitAsync(job, Ct));

        Assert.Equal(first.UpstreamId, second.UpstreamId);
        Assert.Equal(1, _fake.JobCount);
    }

    [Fact]
    public async Task Several_images_go_as_an_images_array_in_json()
    {
        var provider = _kit.Create(_fake);
        var png = new UpstreamImage(await TestImages.BytesAsync("png"), "image/png");
        var jpg = new UpstreamImage(await TestImages.BytesAsync("jpg"), "image/jpeg");

        Assert.IsType<UpstreamSubmit.Accepted>(await provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), _fake.ApiKey, png, jpg), Ct));

        var body = Assert.Single(_fake.Requests).Json!;
        Assert.Equal([png.DataUri, jpg.DataUri], body["images"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Null(body["image"]);
    }

    [Fact]
    public async Task Openai_json_format_sends_size_and_the_first_image_as_input_reference()
    {
        var provider = _kit.Create(_fake, """{"create_format":"openai_json"}""");
        var png = new UpstreamImage(await TestImages.BytesAsync("png"), "image/png");

        Assert.IsType<UpstreamSubmit.Accepted>(await provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(seconds: 8), _fake.ApiKey, png), Ct));

        var body = Assert.Single(_fake.Requests).Json!;
        Assert.Equal("1280x720", body["size"]!.GetValue<string>());
        Assert.Equal("8", body["seconds"]!.GetValue<string>());
        Assert.Equal(png.DataUri, body["input_reference"]!["image_url"]!.GetValue<string>());
        Assert.Null(body["aspect_ratio"]);
    }

    [Fact]
    public async Task Multipart_format_sends_fields_and_one_input_reference_part_per_image()
    {
        var provider = _kit.Create(_fake, """{"create_format":"multipart"}""");
        var png = new UpstreamImage(await TestImages.BytesAsync("png"), "image/png");
        var webp = new UpstreamImage(await TestImages.BytesAsync("webp"), "image/webp");

        Assert.IsType<UpstreamSubmit.Accepted>(await provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(width: 720, height: 1280), _fake.ApiKey, png, webp), Ct));

        var request = Assert.Single(_fake.Requests);
        Assert.StartsWith("multipart/form-data", request.ContentType, StringComparison.Ordinal);
        Assert.Equal("720x1280", request.Form["size"]);
        Assert.Equal("6", request.Form["seconds"]);
        Assert.Equal("upstream-grok-imagine-video", request.Form["model"]);
        Assert.Equal(2, request.Files);
    }

    [Fact]
    public async Task A_base_url_that_already_ends_in_v1_is_not_doubled()
    {
        var provider = _kit.Create(_fake, baseSuffix: "/v1/");

        Assert.IsType<UpstreamSubmit.Accepted>(await provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), _fake.ApiKey), Ct));
        Assert.Equal("/v1/videos", Assert.Single(_fake.Requests).Path);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(408)]
    public async Task Server_errors_are_unavailable_so_the_next_route_is_tried(int status)
    {
        _fake.Faults.SubmitStatus = status;

        var result = await _kit.Create(_fake).SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), _fake.ApiKey), Ct);

        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), Assert.IsType<UpstreamSubmit.Unavailable>(result).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_reset_is_unavailable()
    {
        _fake.Faults.ResetSubmit = true;

        var result = await _kit.Create(_fake).SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), _fake.ApiKey), Ct);

        Assert.Contains("connection", Assert.IsType<UpstreamSubmit.Unavailable>(result).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timeout_is_unavailable()
    {
        _fake.Faults.SubmitDelay = TimeSpan.FromSeconds(5);

        var result = await _kit.Create(_fake, timeout: TimeSpan.FromMilliseconds(300)).SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), _fake.ApiKey), Ct);

        Assert.Contains("timed out", Assert.IsType<UpstreamSubmit.Unavailable>(result).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_json_on_success_is_unavailable()
    {
        _fake.Faults.GarbageSubmit = true;

        var result = await _kit.Create(_fake).SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), _fake.ApiKey), Ct);

        Assert.IsType<UpstreamSubmit.Unavailable>(result);
    }

    [Fact]
    public async Task Moderation_at_create_is_rejected_as_moderation_blocked()
    {
        var result = await _kit.Create(_fake).SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task("something forbidden"), _fake.ApiKey), Ct);

        var rejected = Assert.IsType<UpstreamSubmit.Rejected>(result);
        Assert.Equal("moderation_blocked", rejected.Code);
        Assert.Contains("safety system", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_validation_error_is_rejected_with_the_upstream_message()
    {
        var result = await _kit.Create(_fake).SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(""), _fake.ApiKey), Ct);

        var rejected = Assert.IsType<UpstreamSubmit.Rejected>(result);
        Assert.Equal("upstream_rejected", rejected.Code);
        Assert.Equal("prompt is required", rejected.Message);
    }

    [Fact]
    public async Task A_wrong_key_is_a_refused_key_so_the_next_key_is_tried_and_the_echoed_key_never_reaches_the_reason()
    {
        const string wrongKey = "sk-wrong-secret-123456";

        var result = await _kit.Create(_fake).SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), wrongKey), Ct);

        var refused = Assert.IsType<UpstreamSubmit.Unavailable>(result);
        Assert.True(refused.KeyRefused);
        Assert.Contains("401", refused.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("123456", refused.Reason, StringComparison.Ordinal);
    }
}
