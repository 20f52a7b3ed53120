using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers.Contract;

/// <summary>The vendor contract for <c>veo</c> (Gemini API) against <see cref="FakeVeo"/>.</summary>
public sealed class VeoProviderContractTests() : VendorContract<FakeVeo>("veo")
{
    /// <summary>Gemini filters the output (done, no samples, <c>raiMediaFilteredCount</c>); it documents no refusal of a prompt at create.</summary>
    private protected override bool Moderates => false;

    /// <summary>Veo 3.1 (the default family) makes 4, 6 or 8 s: 7 s is as near 6 as 8, and the shorter is never billed above the ask.</summary>
    private protected override (int Asked, int Snapped) OffGridSeconds => (7, 6);

    private protected override Task<FakeVeo> StartAsync(FakeVendorOptions options) => FakeVeo.StartAsync(options, ct: Ct);

    private protected override int SentSeconds(JsonElement body) => body.GetProperty("parameters").GetProperty("durationSeconds").GetInt32();

    /// <summary><c>instances[0].image</c> = <c>{bytesBase64Encoded, mimeType}</c>: raw base64, the type beside it.</summary>
    private protected override void AssertImageSent(JsonElement body, UpstreamImage image)
    {
        var sent = body.GetProperty("instances")[0].GetProperty("image");
        Assert.Equal(Convert.ToBase64String(image.Bytes.Span), sent.GetProperty("bytesBase64Encoded").GetString());
        Assert.Equal(image.MediaType, sent.GetProperty("mimeType").GetString());
    }

    [Fact]
    public async Task The_key_goes_in_x_goog_api_key_and_the_result_download_carries_it_only_on_the_instances_origin()
    {
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(Job(), Ct));
        Clock.Advance(JobLength * 2);
        var handle = new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State);
        var done = Assert.IsType<UpstreamPoll.Done>(await Provider.PollAsync(handle, Ct));

        using var response = await Provider.OpenResultAsync(handle, done, Ct);

        Assert.Equal(FakeMedia.SmallMp4, await response.Content.ReadAsByteArrayAsync(Ct));
        Assert.All(Fake.Requests.Where(r => !r.Path.StartsWith("/_bytes/", StringComparison.Ordinal)), r => Assert.Equal(ApiKey, r.Headers["x-goog-api-key"]));
        Assert.All(Fake.Requests.Where(r => r.Path.StartsWith("/_bytes/", StringComparison.Ordinal)), r => Assert.False(r.Headers.ContainsKey("x-goog-api-key")));
        Assert.Contains(":predictLongRunning", Fake.Requests.First().Path, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_400_api_key_invalid_is_the_keys_fault_not_a_validation_refusal()
    {
        var outcome = await Provider.SubmitAsync(Job(apiKey: "AIza-not-this-one"), Ct);

        Assert.True(Assert.IsType<UpstreamSubmit.Unavailable>(outcome).KeyRefused);
    }

    [Fact]
    public async Task A_retired_model_is_unavailable_so_the_next_route_is_tried()
    {
        var job = UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey) with { UpstreamModel = "retired-veo-3.1-generate-preview" };

        var unavailable = Assert.IsType<UpstreamSubmit.Unavailable>(await Provider.SubmitAsync(job, Ct));

        Assert.False(unavailable.KeyRefused);
    }

    [Fact]
    public async Task Veo_2_gets_no_resolution_and_several_images_become_reference_images_at_8_seconds_on_veo_3_1()
    {
        var veo2 = UpstreamJobs.Job(UpstreamJobs.Task(seconds: 4), ApiKey) with { UpstreamModel = "veo-2.0-generate-001" };
        var references = UpstreamJobs.Job(UpstreamJobs.Task(seconds: 4), ApiKey, Png, Png) with { UpstreamModel = "veo-3.1-generate-preview" };

        Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(veo2, Ct));
        Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(references, Ct));

        var (first, second) = (Fake.Submitted[0], Fake.Submitted[1]);
        Assert.False(first.GetProperty("parameters").TryGetProperty("resolution", out _));
        Assert.Equal(5, first.GetProperty("parameters").GetProperty("durationSeconds").GetInt32());
        Assert.Equal(2, second.GetProperty("instances")[0].GetProperty("referenceImages").GetArrayLength());
        Assert.Equal(8, second.GetProperty("parameters").GetProperty("durationSeconds").GetInt32());
    }
}
