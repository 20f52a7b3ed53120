using System.Net.Http.Json;
using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary>
/// A vendor type through the whole server: admin API, submitter (a revoked key → the next key), tracker, finisher, real
/// SQLite and ffprobe, for the seed curl body and for an image request. A vendor adds itself with a class naming its
/// type, its fake, what <c>grok-imagine-video</c> maps to, a key the fake refuses, and what its wire must show.
/// </summary>
public abstract class VendorEndToEnd<TFake>(string type)
    where TFake : FakeVendor
{
    private protected const string PublicModel = "grok-imagine-video";

    private protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    private protected string ProviderId => type + "-main";

    /// <summary>The upstream model the seed (a text request) is mapped to.</summary>
    private protected abstract string Model { get; }

    /// <summary>The upstream model an image request is mapped to (some vendors' text models take no image).</summary>
    private protected virtual string ImageModel => Model;

    /// <summary>A key of the vendor's form that the fake refuses, offered before the good one; read after <see cref="StartAsync"/>.</summary>
    private protected abstract string Revoked { get; }

    /// <summary>How many seed requests to post: two where the key order must hold for a second job as well.</summary>
    private protected virtual int SeedJobs => 1;

    /// <summary>The <c>seconds</c> of the image request.</summary>
    private protected virtual string ImageSeconds => "6";

    /// <summary>The instance's top-level <c>model_map</c>; null where the type maps text and image apart in its options.</summary>
    private protected virtual object? ModelMap(bool image) => new Dictionary<string, string> { [PublicModel] = image ? ImageModel : Model };

    /// <summary>The instance's <c>options</c>, if any.</summary>
    private protected virtual object? Options => null;

    private protected abstract Task<TFake> StartAsync();

    /// <summary>The server as <see cref="UpstreamServer.Start"/> makes it (Luma needs a public address for its image links).</summary>
    private protected virtual VidgateApp StartApp() => UpstreamServer.Start();

    /// <summary>Whether <paramref name="request"/> carried <paramref name="key"/> (most vendors: a bearer token).</summary>
    private protected virtual bool Carries(FakeVendorRequest request, string key) => request.Headers.GetValueOrDefault("authorization") == "Bearer " + key;

    /// <summary>The revoked key was offered and refused at least once.</summary>
    private protected virtual void AssertRevokedOffered(TFake fake) => Assert.Contains(fake.Requests, r => r.Method == "POST" && Carries(r, Revoked));

    /// <summary>What the vendor was asked for one seed job (the seed is "a city street …", 8 s, 720p, 16:9).</summary>
    private protected abstract void AssertSeedSent(TFake fake, FakeVendorJob job);

    /// <summary>What every request of the seed run must show beyond the jobs' bodies (paths, headers).</summary>
    private protected virtual void AssertSeedRequests(TFake fake)
    {
    }

    /// <summary>Asserts the single image job's <paramref name="body"/> carries <paramref name="image"/> (a PNG data URI) in the vendor's form.</summary>
    private protected abstract void AssertImageSent(TFake fake, JsonElement body, string image);

    [Fact]
    public async Task The_seed_curl_body_completes_past_a_revoked_key_and_is_served_as_our_own_mp4()
    {
        await using var fake = await StartAsync();
        using var app = StartApp();
        await AddAsync(app, fake, [Revoked, fake.Options.ApiKey], image: false);
        using var user = await app.NewUserAsync();

        var ids = new List<string>();
        for (var i = 0; i < SeedJobs; i++)
        {
            ids.Add((await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody))).GetProperty("id").GetString()!);
        }

        foreach (var id in ids)
        {
            var done = await user.WaitForAsync(id, "completed", TimeSpan.FromSeconds(60));
            Assert.DoesNotContain(fake.BaseUrl.Authority, done.GetProperty("video_url").GetString(), StringComparison.Ordinal);
            Assert.Equal("h264", (await Ffprobe.ProbeAsync(await user.GetByteArrayAsync($"/v1/videos/{id}/content", Ct), Ct)).CodecName);
        }

        AssertRevokedOffered(fake);
        // Every job the vendor took came with the good key, once per request.
        Assert.Equal(SeedJobs, fake.Jobs.Count);
        Assert.All(fake.Jobs.Values, job => AssertSeedSent(fake, job));
        AssertSeedRequests(fake);
    }

    [Fact]
    public async Task An_image_request_reaches_the_vendor_in_its_form_from_the_stored_png_and_completes()
    {
        await using var fake = await StartAsync();
        using var app = StartApp();
        await AddAsync(app, fake, [fake.Options.ApiKey], image: true);
        using var user = await app.NewUserAsync();

        var image = await ImageRequestAsync(user);

        AssertImageSent(fake, Assert.Single(fake.Submitted), image);
    }

    /// <summary>Adds the instance with <paramref name="keys"/> in order and routes <c>grok-imagine-video</c> to it.</summary>
    private protected async Task AddAsync(VidgateApp app, TFake fake, string[] keys, bool image)
    {
        var provider = new Dictionary<string, object>
        {
            ["id"] = ProviderId,
            ["type"] = type,
            ["base_url"] = fake.BaseUrl.ToString(),
            ["api_keys"] = keys,
            ["request_timeout_seconds"] = 10,
        };
        if (ModelMap(image) is { } map)
        {
            provider["model_map"] = map;
        }

        if (Options is { } options)
        {
            provider["options"] = options;
        }

        using (var admin = app.Admin())
        {
            await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", provider, Ct));
        }

        await UpstreamServer.RouteAsync(app, ProviderId);
    }

    /// <summary>Posts a 16:9 720P request with a 64×48 PNG, waits for it to complete, and returns the image's data URI.</summary>
    private protected async Task<string> ImageRequestAsync(HttpClient user)
    {
        var image = await TestImages.DataUriAsync("png", 64, 48);
        var created = await user.CreateAsync(new { model = PublicModel, prompt = "the picture comes alive", seconds = ImageSeconds, aspect_ratio = "16:9", resolution = "720P", image });
        var done = await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(60));
        Assert.Equal("completed", done.GetProperty("status").GetString());
        return image;
    }

    /// <summary>The image's bytes as raw base64, without the data URI's prefix.</summary>
    private protected static string Base64(string dataUri) => dataUri[(dataUri.IndexOf(',', StringComparison.Ordinal) + 1)..];
}
