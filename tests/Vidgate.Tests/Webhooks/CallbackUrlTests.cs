using System.Net;
using System.Net.Http.Headers;
using StandardWebhooks;
using Vidgate.Tests.Billing;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Webhooks;

/// <summary>A create's <c>callback_url</c>: carried by every dialect, checked by the SSRF guard, signed with the account's callback secret.</summary>
public sealed class CallbackUrlTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_callback_url_in_a_JSON_or_multipart_create_gets_the_ending_signed_with_the_accounts_callback_secret()
    {
        using var receiver = new Receiver();
        var provider = new ScriptedProvider();
        using var app = new VidgateApp(settings: WebhookKit.Loopback(), services: ScriptedProvider.Replace(provider));
        using var client = await app.NewUserAsync();

        // Seed JSON (top-level field), before the account ever asked for its callback secret.
        var seed = await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos",
            $$"""{"model":"grok-imagine-video","prompt":"call me back","seconds":"6","callback_url":"{{receiver.Url}}?video=1"}"""));
        var seedDelivery = await receiver.NextAsync();
        var secret = (await Api.OkJsonAsync(await client.GetAsync("/v1/webhooks/callback-secret", Ct))).GetProperty("secret").GetString()!;
        new StandardWebhook(secret).Verify(seedDelivery.Text, seedDelivery.Headers);
        Assert.Equal("video.completed", seedDelivery.Json.GetProperty("type").GetString());
        Assert.Equal(seed.GetProperty("id").GetString(), seedDelivery.Json.GetProperty("data").GetProperty("id").GetString());

        // OpenAI multipart (a form field): a failed render.
        using var form = new MultipartFormDataContent
        {
            { new StringContent("sora-2"), "model" },
            { new StringContent("this will fail"), "prompt" },
            { new StringContent(receiver.Url), "callback_url" },
        };
        var openAi = await Api.OkJsonAsync(await client.PostAsync("/v1/videos", form, Ct));
        var failed = await receiver.NextAsync();
        new StandardWebhook(secret).Verify(failed.Text, failed.Headers);
        Assert.Equal("video.failed", failed.Json.GetProperty("type").GetString());
        Assert.Equal(openAi.GetProperty("id").GetString(), failed.Json.GetProperty("data").GetProperty("id").GetString());
        Assert.Equal("video", failed.Json.GetProperty("data").GetProperty("object").GetString());

        // xAI native (top-level field on /v1/videos/generations).
        var xai = await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos/generations",
            $$"""{"prompt":"xai callback","duration":6,"callback_url":"{{receiver.Url}}"}"""));
        var xaiDelivery = await receiver.NextAsync();
        new StandardWebhook(secret).Verify(xaiDelivery.Text, xaiDelivery.Headers);
        Assert.StartsWith("video_", xai.GetProperty("request_id").GetString());
        Assert.Equal("video.completed", xaiDelivery.Json.GetProperty("type").GetString());
        Assert.Equal("done", xaiDelivery.Json.GetProperty("data").GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("""{"model":"grok-imagine-video","prompt":"p","seconds":"6","callback_url":"http://169.254.169.254/latest"}""", "url_not_allowed")]
    [InlineData("""{"model":"grok-imagine-video","prompt":"p","seconds":"6","callback_url":"http://127.0.0.1:9/x"}""", "url_not_allowed")]
    [InlineData("""{"model":"grok-imagine-video","prompt":"p","seconds":"6","callback_url":"ftp://example.com/x"}""", "invalid_url")]
    [InlineData("""{"model":"grok-imagine-video","prompt":"p","seconds":"6","callback_url":42}""", "invalid_type")]
    [InlineData("""{"model":"sora-2","prompt":"p","size":"1280x720","callback_url":"http://10.0.0.1/x"}""", "url_not_allowed")]
    public async Task A_callback_url_the_guard_refuses_or_that_is_no_url_is_a_400_and_creates_nothing(string body, string code)
    {
        using var app = new VidgateApp();
        using var client = await app.NewUserAsync();
        var error = await Api.ErrorAsync(await client.PostJsonAsync("/v1/videos", body), HttpStatusCode.BadRequest);
        Assert.Equal("callback_url", error.GetProperty("param").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Empty((await Api.OkJsonAsync(await client.GetAsync("/v1/videos", Ct))).GetProperty("data").EnumerateArray());
    }
}
