using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers.Contract;

/// <summary>
/// The vendor contract for <c>vertex</c> against <see cref="FakeVertex"/>: the key is a service-account JSON key whose
/// <c>token_uri</c> points at the fake's token endpoint (the fake is started on a port chosen for it).
/// </summary>
public sealed class VertexProviderContractTests : VendorContract<FakeVertex>
{
    private readonly int _port = FreePort();
    private readonly string _key;
    private readonly string _otherKey;
    private readonly List<ContractKit> _kits = [];

    public VertexProviderContractTests()
        : base("vertex")
    {
        _key = FakeVertex.NewKey(new Uri($"http://127.0.0.1:{_port}/token"));
        _otherKey = FakeVertex.NewKey(new Uri($"http://127.0.0.1:{_port}/token"), rsaKey: 1);
    }

    private protected override string ApiKey => _key;

    /// <summary>A well-formed key of the same account signed with another RSA key: the token endpoint refuses its JWT.</summary>
    private protected override string WrongKey => _otherKey;

    private protected override IEnumerable<string> Secrets => [ApiKey, PrivateKey(ApiKey), PrivateKey(_otherKey)];

    /// <summary>Vertex filters the output (done, no videos, <c>raiMediaFilteredCount</c>); it documents no refusal of a prompt at create.</summary>
    private protected override bool Moderates => false;

    /// <summary>Veo 3.x makes 4, 6 or 8 s: 7 s is as near 6 as 8, and the shorter is never billed above the ask.</summary>
    private protected override (int Asked, int Snapped) OffGridSeconds => (7, 6);

    private protected override Task<FakeVertex> StartAsync(FakeVendorOptions options) => FakeVertex.StartAsync(options, _port, Ct);

    private protected override int SentSeconds(JsonElement body) => body.GetProperty("parameters").GetProperty("durationSeconds").GetInt32();

    private protected override void AssertImageSent(JsonElement body, UpstreamImage image)
    {
        var sent = body.GetProperty("instances")[0].GetProperty("image");
        Assert.Equal(Convert.ToBase64String(image.Bytes.Span), sent.GetProperty("bytesBase64Encoded").GetString());
        Assert.Equal(image.MediaType, sent.GetProperty("mimeType").GetString());
    }

    [Fact]
    public async Task The_key_is_exchanged_once_for_a_bearer_token_sent_on_every_call_to_the_keys_project_and_location()
    {
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(seconds: 8, width: 1920, height: 1080), ApiKey) with { UpstreamModel = "veo-3.1-generate-001" }, Ct));
        Clock.Advance(JobLength * 2);
        var handle = new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State);
        var done = Assert.IsType<UpstreamPoll.Done>(await Provider.PollAsync(handle, Ct));
        using var video = await Provider.OpenResultAsync(handle, done, Ct);

        Assert.Equal(FakeMedia.SmallMp4, await video.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(1, Fake.TokensIssued);
        var calls = Fake.Requests.Where(r => r.Path != "/token").ToList();
        Assert.All(calls, r => Assert.StartsWith("Bearer ya29.fake-", r.Headers["authorization"], StringComparison.Ordinal));
        Assert.Equal("/v1/projects/vidgate-test/locations/us-central1/publishers/google/models/veo-3.1-generate-001:predictLongRunning", calls[0].Path);
        Assert.All(calls.Skip(1), r => Assert.EndsWith("veo-3.1-generate-001:fetchPredictOperation", r.Path, StringComparison.Ordinal));
        Assert.Equal(accepted.UpstreamId, calls[1].Json!.Value.GetProperty("operationName").GetString());
        var parameters = Assert.Single(Fake.Submitted).GetProperty("parameters");
        Assert.Equal("1080p", parameters.GetProperty("resolution").GetString());
        Assert.Equal(1, parameters.GetProperty("sampleCount").GetInt32());
        Assert.Equal(8, done.ActualSeconds);
    }

    [Fact]
    public async Task The_jwt_is_rs256_with_the_keys_kid_email_scope_and_googles_audience_for_an_hour()
    {
        Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(Job(), Ct));

        using var key = JsonDocument.Parse(ApiKey);
        var assertion = Assert.Single(Fake.Assertions).Split('.');
        using var header = JsonDocument.Parse(Decode(assertion[0]));
        using var claims = JsonDocument.Parse(Decode(assertion[1]));
        Assert.Equal("RS256", header.RootElement.GetProperty("alg").GetString());
        Assert.Equal(key.RootElement.GetProperty("private_key_id").GetString(), header.RootElement.GetProperty("kid").GetString());
        Assert.Equal(key.RootElement.GetProperty("client_email").GetString(), claims.RootElement.GetProperty("iss").GetString());
        Assert.Equal("https://oauth2.googleapis.com/token", claims.RootElement.GetProperty("aud").GetString());
        Assert.Equal("https://www.googleapis.com/auth/cloud-platform", claims.RootElement.GetProperty("scope").GetString());
        Assert.Equal(3600, claims.RootElement.GetProperty("exp").GetInt64() - claims.RootElement.GetProperty("iat").GetInt64());
        Assert.Equal(1, Fake.TokensIssued);
    }

    [Fact]
    public async Task A_token_is_reused_while_fresh_and_fetched_again_before_it_expires()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Clock.GetUtcNow());
        var kit = new TimedKit(clock);
        var provider = kit.Create(Fake.BaseUrl, ApiKey);

        Assert.IsType<UpstreamSubmit.Accepted>(await provider.SubmitAsync(Job(), Ct));
        clock.Advance(TimeSpan.FromMinutes(50));
        Assert.IsType<UpstreamSubmit.Accepted>(await provider.SubmitAsync(Job(), Ct));
        var beforeRefresh = Fake.TokensIssued;

        // 57 minutes in: inside google-auth's 3 min 45 s threshold of the hour, so a new token is fetched first.
        clock.Advance(TimeSpan.FromMinutes(7));
        Clock.Advance(TimeSpan.FromMinutes(57));
        Assert.IsType<UpstreamSubmit.Accepted>(await provider.SubmitAsync(Job(), Ct));

        Assert.Equal(1, beforeRefresh);
        Assert.Equal(2, Fake.TokensIssued);
        kit.Dispose();
    }

    [Fact]
    public async Task A_key_of_another_project_is_the_keys_fault_and_options_project_id_and_location_go_into_the_path()
    {
        var other = Create("""{"project_id":"someone-else","location":"us-central1"}""");

        var refused = Assert.IsType<UpstreamSubmit.Unavailable>(await other.SubmitAsync(Job(), Ct));

        Assert.True(refused.KeyRefused);
        Assert.StartsWith("/v1/projects/someone-else/locations/us-central1/", Fake.Requests.Last().Path, StringComparison.Ordinal);
    }

    [Fact]
    public void Validation_names_what_a_key_or_the_place_lacks_without_quoting_the_key()
    {
        var type = new ContractKit("vertex");
        _kits.Add(type);
        var noEmail = ApiKey.Replace("client_email", "client_mail", StringComparison.Ordinal);
        string? Validate(string key, string? options = null, string url = "https://us-central1-aiplatform.googleapis.com")
            => type.Type.Validate(UpstreamJobs.Settings("vertex", new Uri(url), key, options));

        Assert.Contains("service-account JSON key", Validate("AIza-not-a-json-key"), StringComparison.Ordinal);
        Assert.Equal("api_keys[0] is not a service-account JSON key with client_email, private_key and token_uri", Validate(noEmail));
        Assert.Contains("does not match", Validate(ApiKey, """{"location":"europe-west4"}"""), StringComparison.Ordinal);
        Assert.Contains("project_id", Validate(ApiKey, """{"project_id":"Not A Project"}"""), StringComparison.Ordinal);
        Assert.Contains("storageUri", Validate(ApiKey, """{"parameters":{"storageUri":"gs://b/x"}}"""), StringComparison.Ordinal);
        Assert.Null(Validate(ApiKey, """{"location":"global"}""", "https://aiplatform.googleapis.com"));
    }

    [Fact]
    public async Task A_video_written_to_cloud_storage_fails_naming_storage_uri()
    {
        // Only a project that forces storageUri gets a gs:// answer; the adapter never sends one.
        var job = Job();
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(job, Ct));
        var stored = Fake.Jobs.Values.Single();
        var body = JsonDocument.Parse(stored.Body.GetRawText().Replace("\"sampleCount\":1", "\"sampleCount\":1,\"storageUri\":\"gs://bucket/out\"", StringComparison.Ordinal)).RootElement.Clone();
        Fake.Jobs[stored.Id] = stored with { Body = body };
        Clock.Advance(JobLength * 2);

        var failed = Assert.IsType<UpstreamPoll.Failed>(await Provider.PollAsync(new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State), Ct));

        Assert.Equal("upstream_failed", failed.Code);
        Assert.Contains("storageUri", failed.Message, StringComparison.Ordinal);
    }

    private protected override async Task StopAsync()
    {
        await base.StopAsync();
        _kits.ForEach(k => k.Dispose());
    }

    private IVideoProvider Create(string options)
    {
        var kit = new ContractKit("vertex");
        _kits.Add(kit);
        return kit.Create(Fake.BaseUrl, ApiKey, TimeSpan.FromSeconds(10), options);
    }

    private static string PrivateKey(string key)
    {
        using var doc = JsonDocument.Parse(key);
        return doc.RootElement.GetProperty("private_key").GetString()!.Split('\n')[1];
    }

    private static string Decode(string part)
    {
        var padded = part.Replace('-', '+').Replace('_', '/');
        return Encoding.UTF8.GetString(Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4)));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Builds vertex providers on a clock the test moves (token lifetimes).</summary>
    private sealed class TimedKit(TimeProvider clock) : UpstreamTypeKit("vertex", clock)
    {
        public IVideoProvider Create(Uri baseUrl, string apiKey) => Create(UpstreamJobs.Settings("vertex", baseUrl, apiKey));
    }
}
