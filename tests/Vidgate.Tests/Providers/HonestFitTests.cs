using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers;

/// <summary>
/// Mapping honestly through the whole server (issue 15): a model whose routes are all <c>fit: "strict"</c> and cannot make
/// the request as asked is a 400 at create in each dialect, naming that dialect's field and the accepted values, with no
/// task and no hold; with a snapping route behind it the request goes there, and the task shows the delivered length
/// and size from the moment it is accepted and is charged for the delivered seconds.
/// </summary>
[Collection(UpstreamCollection.Name)]
public sealed class HonestFitTests
{
    private const string Upstream = "MiniMax-Hailuo-02";

    /// <summary>The strict instance's own table: 6 or 10 s, 720p, 16:9 only (so each field can be the one refused).</summary>
    private const string Strict = """{"fit":"strict","models":{"MiniMax-Hailuo-02":{"seconds":[6,10],"resolutions":[720],"ratios":["16:9"]}}}""";

    private const string Prompt = "a lighthouse in a storm";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_request_no_strict_route_can_make_is_a_400_in_each_dialect_naming_its_field_with_no_task_and_no_hold()
    {
        await using var fake = await FakeMinimax.StartAsync(ct: Ct);
        using var app = UpstreamServer.Start();
        await ConnectAsync(app, fake, "minimax-strict", Strict, priority: 0);
        using var user = await app.NewUserAsync();
        var before = await UsageAsync(user);

        var seed = await Api.ErrorAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody), HttpStatusCode.BadRequest);
        var openAiRatio = await Api.ErrorAsync(await user.PostJsonAsync("/v1/videos", Json(new { model = "grok-imagine-video", prompt = Prompt, seconds = "6", size = "720x1280" })), HttpStatusCode.BadRequest);
        var openAiSide = await Api.ErrorAsync(await user.PostJsonAsync("/v1/videos", Json(new { model = "grok-imagine-video", prompt = Prompt, seconds = "6", size = "854x480" })), HttpStatusCode.BadRequest);
        var xai = await Api.ErrorAsync(await user.PostJsonAsync("/v1/videos/generations", Json(new { model = "grok-imagine-video", prompt = Prompt, duration = 8, aspect_ratio = "16:9", resolution = "720p" })), HttpStatusCode.BadRequest);
        var seedRatio = await Api.ErrorAsync(await user.PostJsonAsync("/v1/videos", Json(new { model = "grok-imagine-video", prompt = Prompt, seconds = "6", aspect_ratio = "1:1", resolution = "720P" })), HttpStatusCode.BadRequest);

        Assert.Equal(("seconds", "unsupported_value", "invalid_request_error"), Describe(seed));
        Assert.Equal("seconds must be one of 6, 10 for grok-imagine-video: the provider it is routed to makes no other.", seed.GetProperty("message").GetString());
        Assert.Equal(("duration", "unsupported_value", "invalid_request_error"), Describe(xai));
        Assert.StartsWith("duration must be one of 6, 10 for grok-imagine-video", xai.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(("size", "unsupported_value", "invalid_request_error"), Describe(openAiRatio));
        Assert.StartsWith("size must have one of the aspect ratios 16:9 for grok-imagine-video", openAiRatio.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(("size", "unsupported_value", "invalid_request_error"), Describe(openAiSide));
        Assert.StartsWith("size must have a short side of one of 720p for grok-imagine-video", openAiSide.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(("aspect_ratio", "unsupported_value", "invalid_request_error"), Describe(seedRatio));
        Assert.StartsWith("aspect_ratio must be one of 16:9 for", seedRatio.GetProperty("message").GetString(), StringComparison.Ordinal);

        // Nothing was held, written or sent.
        var after = await UsageAsync(user);
        Assert.Equal(before, after);
        Assert.Equal((0, 0L), (after.Tasks, after.Held));
        Assert.Empty((await Api.OkJsonAsync(await user.GetAsync("/v1/videos", Ct))).GetProperty("data").EnumerateArray());
        Assert.Empty(fake.Requests);
    }

    [Fact]
    public async Task Past_a_strict_route_that_cannot_a_snapping_one_takes_it_and_the_task_shows_and_bills_what_is_delivered()
    {
        // The fake's own clock: its jobs run until the test lets them finish, so the accepted task can be read mid-way.
        var upstreamClock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var fake = await FakeMinimax.StartAsync(new FakeVendorOptions { Clock = upstreamClock, JobLength = TimeSpan.FromMinutes(1) }, ct: Ct);
        using var app = UpstreamServer.Start();
        await ConnectAsync(app, fake, "minimax-strict", Strict, priority: 0);
        await ConnectAsync(app, fake, "minimax-snap", null, priority: 1);
        using var user = await app.NewUserAsync();

        // The seed asks 8 s at 720P 16:9; Hailuo 02 makes 6 or 10 s (a tie goes to the shorter) at 768P or 1080P.
        var seedId = (await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody))).GetProperty("id").GetString()!;
        var openAiId = (await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Json(new { model = "grok-imagine-video", prompt = Prompt, seconds = "8", size = "1280x720" }))))
            .GetProperty("id").GetString()!;

        var seed = await AcceptedAsync(user, seedId);
        Assert.Equal(("processing", "6", "768P", "16:9"), (Text(seed, "status"), Text(seed, "seconds"), Text(seed, "size"), Text(seed, "aspect_ratio")));
        var openAi = await AcceptedAsync(user, openAiId);
        Assert.Equal(("in_progress", "6", "1366x768"), (Text(openAi, "status"), Text(openAi, "seconds"), Text(openAi, "size")));

        // Only the snapping instance was called, once per task, with the snapped values.
        Assert.Equal(2, fake.Jobs.Count);
        Assert.All(fake.Submitted, body => Assert.Equal((6, "768P"), (body.GetProperty("duration").GetInt32(), body.GetProperty("resolution").GetString())));

        upstreamClock.Advance(TimeSpan.FromMinutes(2));
        var seedDone = await user.WaitForAsync(seedId, "completed", TimeSpan.FromSeconds(60));
        await user.WaitForAsync(openAiId, "completed", TimeSpan.FromSeconds(60));
        Assert.Equal(("6", "768P"), (Text(seedDone, "seconds"), Text(seedDone, "size")));

        // Held for the 8 s asked, charged for the 6 s delivered (the seed's 8 s cost 560,000 micros).
        var usage = await UsageAsync(user);
        Assert.Equal((2, 12L, 2 * 6 * 70_000L, 0L), (usage.Tasks, usage.Seconds, usage.Charged, usage.Held));
    }

    [Fact]
    public async Task A_strict_route_takes_at_create_what_its_table_makes_exactly_and_sends_it_as_asked()
    {
        await using var fake = await FakeMinimax.StartAsync(ct: Ct);
        using var app = UpstreamServer.Start();
        await ConnectAsync(app, fake, "minimax-strict", Strict, priority: 0);
        using var user = await app.NewUserAsync();

        // 6 s, 720p, 16:9 is in the strict table as asked: created, and sent as asked (this fake's Hailuo 02 then refuses
        // 720P, which the operator's table claimed: what counts here is that the create and the submit let it through).
        var exact = (await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Json(new { model = "grok-imagine-video", prompt = Prompt, seconds = "6", aspect_ratio = "16:9", resolution = "720P" }))))
            .GetProperty("id").GetString()!;
        await UpstreamServer.WaitFinishedAsync(user, exact, TimeSpan.FromSeconds(60));
        var sent = Assert.Single(fake.Requests, r => r.Method == "POST").Json!.Value;
        Assert.Equal((6, "720P"), (sent.GetProperty("duration").GetInt32(), sent.GetProperty("resolution").GetString()));
    }

    private static async Task<JsonElement> AcceptedAsync(HttpClient user, string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var video = await user.GetVideoAsync(id);
            if (Text(video, "seconds") != "8")
            {
                return video;
            }

            Assert.True(DateTime.UtcNow < deadline, $"task {id} never showed the delivered length: {video}");
            await Task.Delay(50, Ct);
        }
    }

    private static async Task ConnectAsync(VidgateApp app, FakeMinimax fake, string id, string? options, int priority)
    {
        using (var admin = app.Admin())
        {
            await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new
            {
                id,
                type = "minimax",
                base_url = fake.BaseUrl.ToString(),
                api_keys = new[] { fake.Options.ApiKey },
                request_timeout_seconds = 10,
                model_map = new Dictionary<string, string> { ["grok-imagine-video"] = Upstream },
                options = options is null ? (JsonElement?)null : JsonDocument.Parse(options).RootElement.Clone(),
            }, Ct));
        }

        await UpstreamServer.RouteAsync(app, id, priority);
    }

    private static async Task<(long Balance, long Held, int Tasks, long Seconds, long Charged)> UsageAsync(HttpClient user)
    {
        var usage = await Api.OkJsonAsync(await user.GetAsync("/v1/usage", Ct));
        var rows = usage.GetProperty("data").EnumerateArray().ToList();
        return (usage.GetProperty("balance_micros").GetInt64(), usage.GetProperty("held_micros").GetInt64(),
            rows.Sum(r => r.GetProperty("tasks").GetInt32()), rows.Sum(r => r.GetProperty("seconds_generated").GetInt64()),
            rows.Sum(r => r.GetProperty("charged_micros").GetInt64()));
    }

    private static (string?, string?, string?) Describe(JsonElement error)
        => (error.GetProperty("param").GetString(), error.GetProperty("code").GetString(), error.GetProperty("type").GetString());

    private static string? Text(JsonElement video, string name) => video.TryGetProperty(name, out var value) ? value.GetString() : null;

    private static string Json(object body) => JsonSerializer.Serialize(body);
}
