using Microsoft.Extensions.Options;
using Vidgate.Fakes;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Fetch;

namespace Vidgate.Tests.Providers;

/// <summary>The SSRF guard: only public http(s) addresses unless the operator allowlisted more.</summary>
[Collection(UpstreamCollection.Name)]
public sealed class GuardedFetcherTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static GuardedFetcher Fetcher(params string[] allow) => new(Options.Create(new FetchOptions { Allow = allow }), new SystemHostResolver());

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://example.com/video.mp4")]
    [InlineData("gopher://example.com/")]
    [InlineData("http://user:secret@example.com/video.mp4")]
    [InlineData("http://127.0.0.1:9/video.mp4")]
    [InlineData("http://10.1.2.3/video.mp4")]
    [InlineData("http://172.16.0.1/video.mp4")]
    [InlineData("http://192.168.1.1/video.mp4")]
    [InlineData("http://100.64.0.1/video.mp4")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[fd00:ec2::254]/latest/meta-data/")]
    [InlineData("http://[::1]:9/video.mp4")]
    [InlineData("http://[::ffff:127.0.0.1]:9/video.mp4")]
    [InlineData("http://0.0.0.0:9/video.mp4")]
    public async Task Non_http_schemes_and_non_public_addresses_are_refused(string url)
    {
        using var fetcher = Fetcher();
        await Assert.ThrowsAsync<FetchRefusedException>(() => fetcher.GetAsync(new Uri(url), null, Ct));
    }

    [Fact]
    public async Task A_name_that_resolves_to_loopback_is_refused_without_an_allowlist()
    {
        await using var fake = await FakeXaiUpstream.StartAsync(ct: Ct);
        using var fetcher = Fetcher();
        var url = new Uri($"http://localhost:{fake.BaseUrl.Port}/files/none.mp4");

        var refused = await Assert.ThrowsAsync<FetchRefusedException>(() => fetcher.GetAsync(url, null, Ct));
        Assert.Contains("not public", refused.Message);
    }

    [Fact]
    public async Task An_allowlisted_range_is_fetched()
    {
        await using var fake = await FakeXaiUpstream.StartAsync(ct: Ct);
        using var fetcher = Fetcher("127.0.0.0/8", "::1");

        using var response = await fetcher.GetAsync(new Uri(fake.BaseUrl, "/files/none.mp4"), null, Ct);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task An_allowlisted_host_name_is_fetched()
    {
        await using var fake = await FakeXaiUpstream.StartAsync(ct: Ct);
        using var fetcher = Fetcher("localhost");

        using var response = await fetcher.GetAsync(new Uri($"http://localhost:{fake.BaseUrl.Port}/files/none.mp4"), null, Ct);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_result_url_on_a_private_address_fails_the_task_instead_of_being_fetched()
    {
        await using var h = await XaiHarness.StartAsync(allowLoopback: false);
        using var user = await h.App.NewUserAsync();

        var created = await Support.Api.CreateAsync(user, new { model = "grok-imagine-video", prompt = "inside job [fake:seconds=0.3]", seconds = "2" });
        var failed = await Support.Api.WaitForAsync(user, created.GetProperty("id").GetString()!, "failed", TimeSpan.FromSeconds(30));

        Assert.Equal("upstream_result_refused", failed.GetProperty("error").GetProperty("code").GetString());
    }
}
