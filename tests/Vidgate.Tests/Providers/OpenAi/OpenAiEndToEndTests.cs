using System.Net;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers.OpenAi;

/// <summary>The openai type through the whole server: admin API, submitter, tracker, finisher, real SQLite and ffprobe.</summary>
public sealed class OpenAiEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_seed_curl_body_completes_through_a_reseller_and_is_served_as_our_own_mp4()
    {
        await using var fake = await FakeOpenAiUpstream.StartAsync();
        fake.Faults.MinJobDuration = fake.Faults.MaxJobDuration = TimeSpan.FromSeconds(1);
        using var app = UpstreamServer.Start();
        await UpstreamServer.ConnectAsync(app, "reseller", "openai", fake.BaseUrl, fake.ApiKey, null);
        using var user = await app.NewUserAsync();

        var created = await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody));
        var id = created.GetProperty("id").GetString()!;
        var done = await user.WaitForAsync(id, "completed", TimeSpan.FromSeconds(60));

        var sent = Assert.Single(fake.Requests, r => r.Method == "POST").Json!;
        Assert.Equal("8", sent["seconds"]!.GetValue<string>());
        Assert.Equal("720P", sent["resolution"]!.GetValue<string>());
        Assert.Equal("16:9", sent["aspect_ratio"]!.GetValue<string>());
        Assert.DoesNotContain(fake.BaseUrl.Authority, done.GetProperty("video_url").GetString(), StringComparison.Ordinal);
        var probe = await Ffprobe.ProbeAsync(await user.GetByteArrayAsync($"/v1/videos/{id}/content", Ct), Ct);
        Assert.Equal("h264", probe.CodecName);
        Assert.Equal(320, probe.Width);
    }

    [Fact]
    public async Task A_reseller_video_url_is_downloaded_without_the_upstream_key()
    {
        await using var fake = await FakeOpenAiUpstream.StartAsync();
        fake.Faults.Delivery = FakeDelivery.ForeignUrl;
        fake.Faults.RunningWord = "processing";
        fake.Faults.DoneWord = "succeeded";
        using var app = UpstreamServer.Start();
        await UpstreamServer.ConnectAsync(app, "reseller", "openai", fake.BaseUrl, fake.ApiKey, """{"create_format":"multipart"}""");
        using var user = await app.NewUserAsync();

        var id = (await user.CreateAsync(new { model = "grok-imagine-video", prompt = "waves", seconds = "2", resolution = "480P" })).GetProperty("id").GetString()!;
        await user.WaitForAsync(id, "completed", TimeSpan.FromSeconds(60));

        Assert.Null(Assert.Single(fake.FileHostAuthorizations));
        Assert.Equal("854x480", Assert.Single(fake.Requests, r => r.Method == "POST").Form["size"]);
        Assert.Equal(FakeMedia.SmallMp4, await user.GetByteArrayAsync($"/v1/videos/{id}/content", Ct));
    }

    [Fact]
    public async Task Moderation_upstream_fails_the_task_with_moderation_blocked()
    {
        await using var fake = await FakeOpenAiUpstream.StartAsync();
        using var app = UpstreamServer.Start();
        await UpstreamServer.ConnectAsync(app, "reseller", "openai", fake.BaseUrl, fake.ApiKey, null);
        using var user = await app.NewUserAsync();

        var id = (await user.CreateAsync(new { model = "grok-imagine-video", prompt = "something forbidden", seconds = "2" })).GetProperty("id").GetString()!;
        var failed = await UpstreamServer.WaitFinishedAsync(user, id, TimeSpan.FromSeconds(30));

        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Equal("moderation_blocked", failed.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_rate_limited_upstream_fails_over_to_the_next_route()
    {
        await using var busy = await FakeOpenAiUpstream.StartAsync();
        busy.Faults.SubmitStatus = 429;
        await using var spare = await FakeOpenAiUpstream.StartAsync();
        using var app = UpstreamServer.Start();
        await UpstreamServer.ConnectAsync(app, "busy", "openai", busy.BaseUrl, busy.ApiKey, null, priority: 0);
        await UpstreamServer.ConnectAsync(app, "spare", "openai", spare.BaseUrl, spare.ApiKey, """{"create_format":"openai_json"}""", priority: 1);
        using var user = await app.NewUserAsync();

        var id = (await user.CreateAsync(new { model = "grok-imagine-video", prompt = "a calm lake", seconds = "2" })).GetProperty("id").GetString()!;
        await user.WaitForAsync(id, "completed", TimeSpan.FromSeconds(60));

        Assert.Equal(0, busy.JobCount);
        Assert.Equal("1280x720", Assert.Single(spare.Requests, r => r.Method == "POST").Json!["size"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_admin_api_refuses_bad_options_with_the_reason()
    {
        using var app = UpstreamServer.Start();

        var response = await UpstreamServer.AddProviderAsync(app, "bad", "openai", new Uri("https://reseller.example"), "sk-x", """{"create_format":"xml"}""");

        var error = await Api.ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("invalid_provider_settings", error.GetProperty("code").GetString());
        Assert.Contains("create_format", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
