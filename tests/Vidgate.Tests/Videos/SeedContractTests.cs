using System.Net;
using System.Text.Json;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Videos;

/// <summary>The starting document's contract end to end: real SQLite, real ffmpeg, real files.</summary>
public sealed class SeedContractTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private readonly VidgateApp _app = fixture.App;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_seed_example_body_verbatim_becomes_an_8_second_1280x720_h264_mp4()
    {
        using var client = await _app.NewUserAsync();
        var response = await client.PostJsonAsync("/v1/videos", Api.SeedBody);
        var created = await Api.OkJsonAsync(response);

        Assert.StartsWith("video_", created.GetProperty("id").GetString());
        Assert.Equal("video", created.GetProperty("object").GetString());
        Assert.Equal("grok-imagine-video", created.GetProperty("model").GetString());
        Assert.Equal("queued", created.GetProperty("status").GetString());
        Assert.Equal(0, created.GetProperty("progress").GetInt32());
        Assert.Equal("8", created.GetProperty("seconds").GetString());
        Assert.Equal("720P", created.GetProperty("size").GetString());
        Assert.Equal("16:9", created.GetProperty("aspect_ratio").GetString());
        Assert.Equal("", created.GetProperty("video_url").GetString());
        Assert.Equal(JsonValueKind.Null, created.GetProperty("error").ValueKind);
        Assert.InRange(created.GetProperty("created_at").GetInt64(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);

        var id = created.GetProperty("id").GetString()!;
        var done = await client.WaitForAsync(id, "completed", TimeSpan.FromMinutes(3));
        Assert.Equal(100, done.GetProperty("progress").GetInt32());
        Assert.True(done.GetProperty("completed_at").GetInt64() >= created.GetProperty("created_at").GetInt64());
        Assert.True(done.GetProperty("expires_at").GetInt64() > done.GetProperty("completed_at").GetInt64());

        // video_url works without the Authorization header.
        var url = new Uri(done.GetProperty("video_url").GetString()!);
        using var anonymous = _app.Client(key: null);
        var bytes = await anonymous.GetByteArrayAsync(url.PathAndQuery, Ct);
        var probe = await Ffprobe.ProbeAsync(bytes, Ct);
        Assert.Equal("h264", probe.CodecName);
        Assert.Equal("yuv420p", probe.PixelFormat);
        Assert.Equal((1280, 720), (probe.Width, probe.Height));
        Assert.InRange(probe.Frames, 191, 193);
        Assert.InRange(probe.DurationSeconds, 8.0 - 1 / 24.0, 8.0 + 1 / 24.0);

        // The same bytes through the authenticated route.
        var viaKey = await client.GetByteArrayAsync($"/v1/videos/{id}/content", Ct);
        Assert.Equal(bytes, viaKey);
    }

    [Theory]
    [InlineData("9:16", "480P", 480, 854)]
    [InlineData("1:1", "720", 720, 720)]
    [InlineData("19.5:9", "480p", 1040, 480)]
    [InlineData("5:4", "720P", 900, 720)]
    [InlineData("1:2.5", "480", 480, 1200)]
    public async Task Aspect_ratio_and_resolution_give_the_exact_output_size(string aspect, string resolution, int width, int height)
    {
        using var client = await _app.NewUserAsync();
        var created = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "pan left over a forest", seconds = 1, aspect_ratio = aspect, resolution });
        var done = await client.WaitForAsync(created.GetProperty("id").GetString()!, "completed");
        Assert.Equal(aspect, done.GetProperty("aspect_ratio").GetString());

        var probe = await Ffprobe.ProbeAsync(await client.GetByteArrayAsync($"/v1/videos/{done.GetProperty("id").GetString()}/content", Ct), Ct);
        Assert.Equal((width, height), (probe.Width, probe.Height));
        Assert.Equal(24, probe.Frames);
    }

    [Fact]
    public async Task One_image_is_animated_at_the_requested_size()
    {
        using var client = await _app.NewUserAsync();
        var image = await TestImages.DataUriAsync("jpg", 640, 480);
        var created = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "zoom out", seconds = "2", aspect_ratio = "9:16", resolution = "480P", image });
        var done = await client.WaitForAsync(created.GetProperty("id").GetString()!, "completed");
        var probe = await Ffprobe.ProbeAsync(await client.GetByteArrayAsync($"/v1/videos/{done.GetProperty("id").GetString()}/content", Ct), Ct);
        Assert.Equal((480, 854, 48), (probe.Width, probe.Height, probe.Frames));
    }

    [Fact]
    public async Task Several_images_are_joined_into_one_video_of_the_exact_length()
    {
        using var client = await _app.NewUserAsync();
        string[] images = [await TestImages.DataUriAsync("png"), await TestImages.DataUriAsync("jpg", 400, 400, "rgbtestsrc"), await TestImages.DataUriAsync("webp", 200, 300)];
        var created = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "orbit", seconds = 3, aspect_ratio = "16:9", resolution = "480P", images });
        var done = await client.WaitForAsync(created.GetProperty("id").GetString()!, "completed");
        var probe = await Ffprobe.ProbeAsync(await client.GetByteArrayAsync($"/v1/videos/{done.GetProperty("id").GetString()}/content", Ct), Ct);
        Assert.Equal((854, 480, 72), (probe.Width, probe.Height, probe.Frames));
    }

    [Fact]
    public async Task Content_supports_range_etag_head_and_the_thumbnail_and_spritesheet_variants()
    {
        using var client = await _app.NewUserAsync();
        var created = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "static shot of snow", seconds = 1, resolution = "480P" });
        var id = created.GetProperty("id").GetString()!;
        await client.WaitForAsync(id, "completed");

        var full = await client.GetAsync($"/v1/videos/{id}/content", Ct);
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal("video/mp4", full.Content.Headers.ContentType?.MediaType);
        Assert.Equal("bytes", full.Headers.AcceptRanges.Single());
        var etag = full.Headers.ETag!;
        var bytes = await full.Content.ReadAsByteArrayAsync(Ct);

        using var range = new HttpRequestMessage(HttpMethod.Get, $"/v1/videos/{id}/content");
        range.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(100, 199);
        var partial = await client.SendAsync(range, Ct);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal($"bytes 100-199/{bytes.Length}", partial.Content.Headers.ContentRange!.ToString());
        Assert.Equal(bytes[100..200], await partial.Content.ReadAsByteArrayAsync(Ct));

        using var conditional = new HttpRequestMessage(HttpMethod.Get, $"/v1/videos/{id}/content");
        conditional.Headers.IfNoneMatch.Add(etag);
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(conditional, Ct)).StatusCode);

        using var head = new HttpRequestMessage(HttpMethod.Head, $"/v1/videos/{id}/content");
        var headResponse = await client.SendAsync(head, Ct);
        Assert.Equal(HttpStatusCode.OK, headResponse.StatusCode);
        Assert.Equal(bytes.Length, headResponse.Content.Headers.ContentLength);
        Assert.Empty(await headResponse.Content.ReadAsByteArrayAsync(Ct));

        var thumbnail = await client.GetAsync($"/v1/videos/{id}/content?variant=thumbnail", Ct);
        Assert.Equal("image/webp", thumbnail.Content.Headers.ContentType?.MediaType);
        var webp = await thumbnail.Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal("RIFF"u8.ToArray(), webp[..4]);
        Assert.Equal("WEBP"u8.ToArray(), webp[8..12]);

        var sprites = await client.GetAsync($"/v1/videos/{id}/content?variant=spritesheet", Ct);
        Assert.Equal("image/jpeg", sprites.Content.Headers.ContentType?.MediaType);
        Assert.Equal(new byte[] { 0xFF, 0xD8, 0xFF }, (await sprites.Content.ReadAsByteArrayAsync(Ct))[..3]);

        var error = await Api.ErrorAsync(await client.GetAsync($"/v1/videos/{id}/content?variant=poster", Ct), HttpStatusCode.BadRequest);
        Assert.Equal("variant", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task Content_is_a_clear_404_while_the_video_is_not_ready()
    {
        using var client = await _app.NewUserAsync();
        var created = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "a long take", seconds = 15, resolution = "720P" });
        var id = created.GetProperty("id").GetString()!;
        var error = await Api.ErrorAsync(await client.GetAsync($"/v1/videos/{id}/content", Ct), HttpStatusCode.NotFound);
        Assert.Equal("video_not_ready", error.GetProperty("code").GetString());
        await Api.OkJsonAsync(await client.PostAsync($"/v1/videos/{id}/cancel", null, Ct));
    }

    [Fact]
    public async Task A_signed_link_is_refused_when_tampered_with_or_used_for_another_video()
    {
        using var client = await _app.NewUserAsync();
        var first = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "one", seconds = 1, resolution = "480P" });
        var second = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "two", seconds = 1, resolution = "480P" });
        var done = await client.WaitForAsync(first.GetProperty("id").GetString()!, "completed");
        var url = new Uri(done.GetProperty("video_url").GetString()!).PathAndQuery;

        using var anonymous = _app.Client(key: null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(url, Ct)).StatusCode);
        var tampered = url[..^3] + (url.EndsWith("AAA", StringComparison.Ordinal) ? "BBB" : "AAA");
        await Api.ErrorAsync(await anonymous.GetAsync(tampered, Ct), HttpStatusCode.Forbidden);
        var otherVideo = url.Replace(first.GetProperty("id").GetString()!, second.GetProperty("id").GetString()!, StringComparison.Ordinal);
        await Api.ErrorAsync(await anonymous.GetAsync(otherVideo, Ct), HttpStatusCode.Forbidden);
        await Api.ErrorAsync(await anonymous.GetAsync(url.Split('?')[0], Ct), HttpStatusCode.Unauthorized);
    }
}
