using System.Globalization;
using System.Net;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Vidgate.Fakes;
using Vidgate.Tests.Providers;
using Vidgate.Tests.Support;
using static Vidgate.Tests.Callbacks.CallbackHarness;

namespace Vidgate.Tests.Callbacks;

/// <summary>
/// fal's webhook signature (Ed25519 over request id, user id, timestamp and the body's SHA-256, keys from a JWKS) is
/// checked on top of the per-job secret in the URL: anything but a fresh callback signed with one of fal's keys over the
/// very body sent is a 401 that wakes nothing; the keys come through the SSRF guard from a configurable URL, are kept,
/// and can be given inline instead.
/// </summary>
[Collection(UpstreamCollection.Name)]
public sealed class FalWebhookSignatureTests
{
    private const string Body = """{"request_id":"r-1","gateway_request_id":"r-1","status":"OK","payload":{"video":{"url":"https://v3.fal.media/files/x.mp4"}}}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Only_a_fresh_callback_signed_with_fals_key_over_the_body_sent_wakes_a_poll_and_the_keys_are_fetched_once()
    {
        await using var fake = await StartFakeAsync();
        using var app = Start();
        using var server = Wire(app, fake);
        await ConnectAsync(app, fake, "fal-cb", "fal", "fal-ai/kling-video/v2.1/pro/text-to-video", new { callbacks = true, webhook_jwks_url = fake.JwksUrl });
        var url = await SubmitAsync(app, fake);
        var now = DateTimeOffset.UtcNow;
        var otherKey = FakeFal.NewWebhookKey();

        // Each header missing in turn, and all of them: refused before any key is looked for.
        foreach (var missing in (string?[])["X-Fal-Webhook-Request-Id", "X-Fal-Webhook-User-Id", "X-Fal-Webhook-Timestamp", "X-Fal-Webhook-Signature"])
        {
            await Api.ErrorAsync(await PostAsync(server, url, Body, Signed(fake, fake.WebhookKey, now, omit: missing)), HttpStatusCode.Unauthorized);
        }

        await Api.ErrorAsync(await PostAsync(server, url, Body), HttpStatusCode.Unauthorized);

        // Six minutes either side of now, outside the 5-minute window.
        await Api.ErrorAsync(await PostAsync(server, url, Body, Signed(fake, fake.WebhookKey, now.AddMinutes(-6))), HttpStatusCode.Unauthorized);
        await Api.ErrorAsync(await PostAsync(server, url, Body, Signed(fake, fake.WebhookKey, now.AddMinutes(6))), HttpStatusCode.Unauthorized);
        Assert.Equal(0, fake.JwksFetches);

        // Signed with a key that is not fal's; a body other than the one signed; a signature that is not hex.
        var wrong = await Api.ErrorAsync(await PostAsync(server, url, Body, Signed(fake, otherKey, now)), HttpStatusCode.Unauthorized);
        Assert.Equal("invalid_signature", wrong.GetProperty("code").GetString());
        await Api.ErrorAsync(await PostAsync(server, url, Body.Replace("OK", "ERROR", StringComparison.Ordinal), Signed(fake, fake.WebhookKey, now)), HttpStatusCode.Unauthorized);
        await Api.ErrorAsync(await PostAsync(server, url, Body, Signed(fake, fake.WebhookKey, now, signature: new string('z', 128))), HttpStatusCode.Unauthorized);
        await Task.Delay(300, Ct);
        Assert.Equal(0, Polls(fake));

        // Signed as fal signs, within the window (4 minutes old still is): each wakes the tracker, whose poll is what counts.
        using (var good = await PostAsync(server, url, Body, Signed(fake, fake.WebhookKey, now)))
        {
            Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        }

        await UntilAsync(() => Polls(fake) == 1, "the poll the signed callback woke");
        using (var older = await PostAsync(server, url, Body, Signed(fake, fake.WebhookKey, now.AddMinutes(-4))))
        {
            Assert.Equal(HttpStatusCode.OK, older.StatusCode);
        }

        // The forgeries with a wrong key asked for fresh keys once; the rest were answered from the kept ones.
        Assert.Equal(1, fake.JwksFetches);
    }

    [Fact]
    public async Task Keys_given_inline_verify_callbacks_without_fetching_anything()
    {
        await using var fake = await StartFakeAsync();
        using var app = Start();
        using var server = Wire(app, fake);
        await ConnectAsync(app, fake, "fal-cb", "fal", "fal-ai/kling-video/v2.1/pro/text-to-video", new { callbacks = true, webhook_public_keys = new[] { fake.PublicKeyX } });
        var url = await SubmitAsync(app, fake);
        var now = DateTimeOffset.UtcNow;

        await Api.ErrorAsync(await PostAsync(server, url, Body, Signed(fake, FakeFal.NewWebhookKey(), now)), HttpStatusCode.Unauthorized);
        using var good = await PostAsync(server, url, Body, Signed(fake, fake.WebhookKey, now));

        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        await UntilAsync(() => Polls(fake) == 1, "the poll the signed callback woke");
        Assert.Equal(0, fake.JwksFetches);
    }

    [Fact]
    public async Task A_jwks_url_the_ssrf_guard_refuses_is_never_fetched_and_signed_callbacks_are_refused()
    {
        await using var fake = await StartFakeAsync();

        // Loopback (where the fake lives) is no longer allowlisted: the JWKS URL on it is refused by the guard.
        using var app = Start(new() { ["Vidgate:Fetch:Allow:0"] = "203.0.113.0/24" });
        using var server = Wire(app, fake);
        await ConnectAsync(app, fake, "fal-cb", "fal", "fal-ai/kling-video/v2.1/pro/text-to-video", new { callbacks = true, webhook_jwks_url = fake.JwksUrl });
        var url = await SubmitAsync(app, fake);

        await Api.ErrorAsync(await PostAsync(server, url, Body, Signed(fake, fake.WebhookKey, DateTimeOffset.UtcNow)), HttpStatusCode.Unauthorized);

        Assert.Equal(0, fake.JwksFetches);
        await Task.Delay(300, Ct);
        Assert.Equal(0, Polls(fake));
    }

    [Theory]
    [InlineData("""{"callbacks":true,"webhook_public_keys":["c2hvcnQ"]}""", "webhook_public_keys")]
    [InlineData("""{"callbacks":true,"webhook_public_keys":[]}""", "webhook_public_keys")]
    [InlineData("""{"callbacks":true,"webhook_public_keys":{"keys":[{"kty":"RSA","n":"x"}]}}""", "webhook_public_keys")]
    [InlineData("""{"callbacks":true,"webhook_jwks_url":"ftp://keys.example/jwks.json"}""", "webhook_jwks_url")]
    [InlineData("""{"callbacks":true,"webhook_jwks_url":"/.well-known/jwks.json"}""", "webhook_jwks_url")]
    [InlineData("""{"callbacks":true,"webhook_secret":"whsec_c2VjcmV0c2VjcmV0c2VjcmV0"}""", "only for a type whose callbacks are signed")]
    public async Task Unusable_key_options_are_a_400_naming_them(string options, string says)
    {
        using var app = Start();
        var error = await Api.ErrorAsync(await UpstreamServer.AddProviderAsync(app, "fal-cb", "fal", new Uri("http://127.0.0.1:9"), "k-1", options), HttpStatusCode.BadRequest);

        Assert.Equal("options", error.GetProperty("param").GetString());
        Assert.Contains(says, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static async Task<FakeFal> StartFakeAsync()
    {
        var fake = await FakeFal.StartAsync(ct: Ct);
        fake.Options.JobLength = TimeSpan.FromSeconds(30);
        fake.Callbacks = CallbackMode.Drop;
        return fake;
    }

    /// <summary>Creates a task and returns the callback URL its submit carried in <c>?fal_webhook=</c>.</summary>
    private static async Task<string> SubmitAsync(VidgateApp app, FakeFal fake)
    {
        using var user = await app.NewUserAsync();
        await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody));
        await UntilAsync(() => fake.Jobs.Count == 1, "the submit");
        return Uri.UnescapeDataString(fake.Requests.First(r => r.Method == "POST").Path.Split("fal_webhook=")[1]);
    }

    /// <summary>fal's four headers over <see cref="Body"/> signed with <paramref name="key"/> at <paramref name="at"/>, one left out or the signature replaced.</summary>
    private static Action<HttpRequestMessage> Signed(
        FakeFal fake, Ed25519PrivateKeyParameters key, DateTimeOffset at, string? omit = null, string? signature = null) => request =>
    {
        var timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>
        {
            ["X-Fal-Webhook-Request-Id"] = "r-1",
            ["X-Fal-Webhook-User-Id"] = fake.UserId,
            ["X-Fal-Webhook-Timestamp"] = timestamp,
            ["X-Fal-Webhook-Signature"] = signature ?? FakeFal.Sign(key, "r-1", fake.UserId, timestamp, Encoding.UTF8.GetBytes(Body)),
        };
        foreach (var (name, value) in headers.Where(h => h.Key != omit))
        {
            request.Headers.Add(name, value);
        }
    };
}
