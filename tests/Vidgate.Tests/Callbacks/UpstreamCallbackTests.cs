using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Vidgate.Fakes;
using Vidgate.Tests.Providers;
using Vidgate.Tests.Support;
using static Vidgate.Tests.Callbacks.CallbackHarness;

namespace Vidgate.Tests.Callbacks;

/// <summary>
/// Upstream callbacks (issue #15) through the whole server: each vendor's callback makes its job finish long before
/// polling alone could, a callback is only ever a wake-up (a forged "succeeded" changes nothing the poll does not
/// confirm), secrets are per job and stored hashed, Replicate's signature is checked, and a storm is rate-limited.
/// </summary>
[Collection(UpstreamCollection.Name)]
public sealed class UpstreamCallbackTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> CallbackTypes => ["kling", "minimax", "luma", "ark", "vidu", "replicate", "fal"];

    [Theory]
    [MemberData(nameof(CallbackTypes))]
    public async Task A_vendors_callback_finishes_the_task_long_before_the_first_poll_is_due(string type)
    {
        await using var fake = await StartFakeAsync(type);
        using var app = Start();
        using var server = Wire(app, fake);
        await ConnectAsync(app, fake, type + "-cb", type, Model(type), Options(type, fake));
        using var user = await app.NewUserAsync();

        var id = (await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody))).GetProperty("id").GetString()!;

        // Polling alone would first look after 60 s: done within 30 s means a callback woke the tracker.
        await user.WaitForAsync(id, "completed", Prompt);
        var url = type == "fal" ? Uri.UnescapeDataString(fake.Requests.First(r => r.Method == "POST").Path.Split("fal_webhook=")[1])
            : CallbackUrl(fake, type == "replicate" ? "webhook" : "callback_url");
        Assert.StartsWith($"{PublicBase}/v1/upstream-callbacks/{type}-cb/", url, StringComparison.Ordinal);
        Assert.Contains(fake.CallbacksSent, c => c.Url == url && c.Status == 200);
        if (fake is FakeMinimax minimax)
        {
            Assert.Equal(0, minimax.ChallengesFailed);
        }

        if (type == "replicate")
        {
            Assert.Equal(["start", "completed"], Assert.Single(fake.Submitted).GetProperty("webhook_events_filter").EnumerateArray().Select(e => e.GetString()));
        }
    }

    [Fact]
    public async Task A_forged_succeeded_callback_only_wakes_a_poll_and_the_task_keeps_running_while_the_vendor_says_so()
    {
        await using var fake = await FakeKling.StartAsync(ct: Ct);
        fake.Options.JobLength = TimeSpan.FromSeconds(20);
        fake.Callbacks = CallbackMode.Forge;
        using var app = Start();
        using var server = Wire(app, fake);
        await ConnectAsync(app, fake, "kling-cb", "kling", "kling-v2-6", new { callbacks = true });
        using var user = await app.NewUserAsync();
        var id = (await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody))).GetProperty("id").GetString()!;

        // The forged "succeed" (sent 5 s into a 20 s job) is taken as a wake-up: the vendor is asked, says processing.
        await UntilAsync(() => fake.CallbacksSent.Any(c => c.Status == 200), "the forged callback");
        Assert.Contains("\"succeed\"", Assert.Single(fake.CallbacksSent).Body, StringComparison.Ordinal);
        await UntilAsync(() => Polls(fake) >= 1, "the poll the callback woke");
        await Task.Delay(200, Ct);

        var video = await user.GetVideoAsync(id);
        Assert.NotEqual("completed", Status(video));
        Assert.NotEqual("failed", Status(video));
        Assert.DoesNotContain(fake.Requests, r => r.Path.Contains(".mp4", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unknown_secret_or_instance_is_a_404_that_wakes_nothing_and_a_finished_jobs_secret_is_a_quiet_200()
    {
        await using var fake = await FakeKling.StartAsync(ct: Ct);
        fake.Options.JobLength = TimeSpan.FromSeconds(2);
        using var app = Start();
        using var server = Wire(app, fake);
        await ConnectAsync(app, fake, "kling-cb", "kling", "kling-v2-6", new { callbacks = true });
        using var user = await app.NewUserAsync();
        var id = (await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody))).GetProperty("id").GetString()!;
        await UntilAsync(() => fake.Jobs.Count == 1, "the submit");
        var url = CallbackUrl(fake);
        var token = url[(url.LastIndexOf('/') + 1)..];

        var guessed = Base64Url(RandomNumberGenerator.GetBytes(32));
        foreach (var wrong in (string[])[$"/v1/upstream-callbacks/kling-cb/{guessed}", $"/v1/upstream-callbacks/nope/{token}",
                     $"/v1/upstream-callbacks/builtin/{token}", "/v1/upstream-callbacks/kling-cb/short", $"/v1/upstream-callbacks/kling-cb/{token.ToUpperInvariant()}"])
        {
            var error = await Api.ErrorAsync(await PostAsync(server, PublicBase + wrong), HttpStatusCode.NotFound);
            Assert.DoesNotContain(token, error.GetRawText(), StringComparison.Ordinal);
        }

        await user.WaitForAsync(id, "completed", Prompt);
        var polls = Polls(fake);
        using var late = await PostAsync(server, url);
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        await Task.Delay(300, Ct);
        Assert.Equal(polls, Polls(fake));

        using var admin = app.Admin();
        var metrics = await admin.GetStringAsync("/metrics", Ct);
        Assert.Contains("vidgate_upstream_callbacks_total{result=\"unknown\"} 5", metrics, StringComparison.Ordinal);
        Assert.Matches("vidgate_upstream_callbacks_total\\{result=\"woken\"\\} [1-9]", metrics);
        Assert.Matches("vidgate_upstream_callbacks_total\\{result=\"idle\"\\} [1-9]", metrics);
    }

    [Fact]
    public async Task The_secret_is_per_job_and_only_its_sha256_is_stored()
    {
        await using var fake = await FakeKling.StartAsync(ct: Ct);
        fake.Options.JobLength = TimeSpan.FromSeconds(30);
        fake.Callbacks = CallbackMode.Drop;
        using var app = Start();
        await ConnectAsync(app, fake, "kling-cb", "kling", "kling-v2-6", new { callbacks = true });
        using var user = await app.NewUserAsync();
        await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody));
        await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody));
        await UntilAsync(() => fake.Jobs.Count == 2, "both submits");

        var tokens = fake.Submitted.Select(b => b.GetProperty("callback_url").GetString()!).Select(u => u[(u.LastIndexOf('/') + 1)..]).ToList();
        Assert.Equal(2, tokens.Distinct().Count());
        Assert.All(tokens, t => Assert.Equal(32, Convert.FromBase64String(t.Replace('-', '+').Replace('_', '/') + "=").Length));

        using var db = new SqliteConnection($"Data Source={Path.Combine(app.DataDir, "vidgate.db")};Mode=ReadOnly");
        await db.OpenAsync(Ct);
        using var read = db.CreateCommand();
        read.CommandText = "SELECT * FROM upstream_jobs;";
        var rows = new List<string>();
        var hashes = new List<string>();
        using (var reader = await read.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                rows.Add(string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
                hashes.Add(reader.GetString(reader.GetOrdinal("callback_hash")));
            }
        }

        Assert.Equal(tokens.Select(Sha256Hex).Order(), hashes.Order());
        Assert.All(tokens, t => Assert.DoesNotContain(rows, r => r.Contains(t, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_replicate_callback_without_a_valid_fresh_signature_is_a_401_and_wakes_nothing()
    {
        await using var fake = await FakeReplicate.StartAsync(ct: Ct);
        fake.Options.JobLength = TimeSpan.FromSeconds(30);
        fake.Callbacks = CallbackMode.Drop;
        using var app = Start();
        using var server = Wire(app, fake);
        await ConnectAsync(app, fake, "replicate-cb", "replicate", "kwaivgi/kling-v2.1", new { callbacks = true, webhook_secret = fake.WebhookSecret });
        using var user = await app.NewUserAsync();
        await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody));
        await UntilAsync(() => fake.Jobs.Count == 1, "the submit");
        var url = CallbackUrl(fake, "webhook");
        const string body = """{"id":"x","status":"succeeded"}""";
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var old = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var otherSecret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        Action<HttpRequestMessage> Signed(string secret, string timestamp, string signedBody = body) => request =>
        {
            request.Headers.Add("webhook-id", "msg_1");
            request.Headers.Add("webhook-timestamp", timestamp);
            request.Headers.Add("webhook-signature", "v1," + FakeReplicate.Sign(secret, "msg_1", timestamp, signedBody));
        };

        // Unsigned, signed with another secret, a replay 10 minutes old, a body other than the one signed.
        await Api.ErrorAsync(await PostAsync(server, url, body), HttpStatusCode.Unauthorized);
        await Api.ErrorAsync(await PostAsync(server, url, body, Signed(otherSecret, now)), HttpStatusCode.Unauthorized);
        await Api.ErrorAsync(await PostAsync(server, url, body, Signed(fake.WebhookSecret, old)), HttpStatusCode.Unauthorized);
        await Api.ErrorAsync(await PostAsync(server, url, body.Replace("x", "y", StringComparison.Ordinal), Signed(fake.WebhookSecret, now)), HttpStatusCode.Unauthorized);
        await Task.Delay(300, Ct);
        Assert.Equal(0, Polls(fake));

        // Signed as Replicate does: one poll, which says the prediction is still processing.
        using var good = await PostAsync(server, url, body, Signed(fake.WebhookSecret, now));
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        await UntilAsync(() => Polls(fake) == 1, "the poll the signed callback woke");
    }

    [Fact]
    public async Task A_storm_of_callbacks_is_a_429_with_retry_after_and_a_huge_body_a_413()
    {
        using var app = Start(new() { ["Vidgate:Callbacks:RatePerSecond"] = "0.5", ["Vidgate:Callbacks:Burst"] = "3" });
        using var server = app.CreateClient();
        await Api.OkJsonAsync(await UpstreamServer.AddProviderAsync(app, "kling-cb", "kling", new Uri("http://127.0.0.1:9"), "ak|sk", """{"callbacks":true}"""));
        var url = $"{PublicBase}/v1/upstream-callbacks/kling-cb/{Base64Url(RandomNumberGenerator.GetBytes(32))}";

        await Api.ErrorAsync(await PostAsync(server, url, new string('x', 64 * 1024 + 1)), HttpStatusCode.RequestEntityTooLarge);
        await Api.ErrorAsync(await PostAsync(server, url), HttpStatusCode.NotFound);
        await Api.ErrorAsync(await PostAsync(server, url), HttpStatusCode.NotFound);
        using var limited = await PostAsync(server, url);
        await Api.ErrorAsync(limited, HttpStatusCode.TooManyRequests);
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
    }

    [Theory]
    [InlineData("dashscope", """{"callbacks":true}""", "has no upstream callbacks")]
    [InlineData("runway", """{"callbacks":true}""", "has no upstream callbacks")]
    [InlineData("kling", """{"callbacks":"yes"}""", "options.callbacks must be true")]
    [InlineData("kling", """{"webhook_secret":"whsec_c2VjcmV0c2VjcmV0c2VjcmV0"}""", "only for a type whose callbacks are signed")]
    [InlineData("replicate", """{"callbacks":true}""", "webhook_secret")]
    [InlineData("replicate", """{"callbacks":true,"webhook_secret":"not-a-secret"}""", "whsec_")]
    public async Task Callback_options_a_type_cannot_honour_are_a_400_naming_the_problem(string type, string options, string says)
    {
        using var app = Start();
        var key = type == "kling" ? "ak|sk" : type == "runway" ? "key_" + new string('0', 128) : "k-1";
        var error = await Api.ErrorAsync(await UpstreamServer.AddProviderAsync(app, type + "-cb", type, new Uri("http://127.0.0.1:9"), key, options), HttpStatusCode.BadRequest);

        Assert.Equal("options", error.GetProperty("param").GetString());
        Assert.Contains(says, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Callbacks_without_a_public_address_are_a_400_naming_the_setting()
    {
        using var app = Start(publicBase: null);
        var error = await Api.ErrorAsync(
            await UpstreamServer.AddProviderAsync(app, "kling-cb", "kling", new Uri("http://127.0.0.1:9"), "ak|sk", """{"callbacks":true}"""), HttpStatusCode.BadRequest);

        Assert.Contains("Vidgate:PublicBaseUrl", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static async Task<FakeVendor> StartFakeAsync(string type)
    {
        FakeVendor fake = type switch
        {
            "kling" => await FakeKling.StartAsync(ct: Ct),
            "minimax" => await FakeMinimax.StartAsync(ct: Ct),
            "luma" => await FakeLuma.StartAsync(ct: Ct),
            "ark" => await FakeArk.StartAsync(ct: Ct),
            "vidu" => await FakeVidu.StartAsync(ct: Ct),
            "replicate" => await FakeReplicate.StartAsync(ct: Ct),
            _ => await FakeFal.StartAsync(ct: Ct),
        };
        fake.Options.JobLength = TimeSpan.FromSeconds(2);
        return fake;
    }

    private static string Model(string type) => type switch
    {
        "kling" => "kling-v2-6",
        "minimax" => "MiniMax-Hailuo-2.3",
        "luma" => "ray-2",
        "ark" => "doubao-seedance-1-0-pro-250528",
        "vidu" => "viduq2",
        "replicate" => "kwaivgi/kling-v2.1",
        _ => "fal-ai/kling-video/v2.1/pro/text-to-video",
    };

    private static object Options(string type, FakeVendor fake) => fake switch
    {
        FakeReplicate replicate => new { callbacks = true, webhook_secret = replicate.WebhookSecret },
        // fal's signing keys come from its JWKS: the fake publishes its own.
        FakeFal fal => new { callbacks = true, webhook_jwks_url = fal.JwksUrl },
        _ => new { callbacks = true },
    };

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Sha256Hex(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)));
}
