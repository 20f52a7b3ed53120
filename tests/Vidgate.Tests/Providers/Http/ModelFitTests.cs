using System.Text.Json;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Tests.Providers.Http;

/// <summary>Honest mapping: the snap every vendor adapter uses, the strict refusal, and the shared vendor options.</summary>
public sealed class ModelFitTests
{
    private static readonly ModelSpec FiveOrTen = new([5, 10], [720, 1080], ["16:9", "9:16", "1:1"]);

    [Theory]
    [InlineData(6, 1280, 720, 5, 720, "16:9")]
    [InlineData(8, 1280, 720, 10, 720, "16:9")]
    [InlineData(15, 1920, 1080, 10, 1080, "16:9")]
    [InlineData(5, 720, 1280, 5, 720, "9:16")]
    [InlineData(5, 1080, 1080, 5, 1080, "1:1")]
    [InlineData(5, 854, 480, 5, 720, "16:9")]
    public void A_request_snaps_to_the_nearest_length_short_side_and_ratio(int seconds, int width, int height, int snappedSeconds, int snappedSide, string ratio)
    {
        var (fit, refusal) = ModelFit.Fit(FiveOrTen, UpstreamJobs.Task(seconds: seconds, width: width, height: height), strict: false, "m");

        Assert.Null(refusal);
        Assert.Equal(new Fitted(snappedSeconds, snappedSide, ratio), fit);
    }

    [Fact]
    public void A_tie_goes_to_the_shorter_length_so_a_snap_never_bills_more_than_was_asked()
    {
        var (fit, _) = ModelFit.Fit(new ModelSpec([4, 6, 8], [720], ["16:9"]), UpstreamJobs.Task(seconds: 7), strict: false, "m");

        Assert.Equal(6, fit!.Seconds);
    }

    [Theory]
    [InlineData(720, 1280, 720, 1280)]
    [InlineData(1080, 1920, 1080, 1920)]
    public void The_delivered_size_follows_the_ratio_and_the_short_side(int side, int landscapeWidth, int portraitWidth, int portraitHeight)
    {
        Assert.Equal((landscapeWidth, side), (new Fitted(5, side, "16:9").Width, new Fitted(5, side, "16:9").Height));
        Assert.Equal((portraitWidth, portraitHeight), (new Fitted(5, side, "9:16").Width, new Fitted(5, side, "9:16").Height));
        Assert.Equal("4k", new Fitted(8, 2160, "16:9").ResolutionLabel);
    }

    [Theory]
    [InlineData(6, 1280, 720, "seconds", "5, 10")]
    [InlineData(5, 854, 480, "resolution", "720p, 1080p")]
    [InlineData(5, 1440, 1080, "aspect_ratio", "16:9, 9:16, 1:1")]
    public void Strict_refuses_what_the_model_cannot_make_as_asked_naming_the_field_and_the_accepted_values(int seconds, int width, int height, string field, string accepted)
    {
        var (fit, refusal) = ModelFit.Fit(FiveOrTen, UpstreamJobs.Task(seconds: seconds, width: width, height: height), strict: true, "kling-v1");

        Assert.Null(fit);
        Assert.Equal("unsupported_value", refusal!.Code);
        Assert.StartsWith(field + " ", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("accepted: " + accepted, refusal.Message, StringComparison.Ordinal);
        Assert.Contains("kling-v1", refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(6, 720, "16:9", 6, 1280, 720, "16:9", "720P")]
    [InlineData(6, 768, "16:9", 6, 1366, 768, "16:9", "768P")]
    [InlineData(10, 720, "9:16", 10, 720, 1280, "9:16", "720P")]
    [InlineData(5, 720, "1280:720", 5, 1280, 720, "16:9", "720P")]
    [InlineData(5, 672, "1584:672", 5, 1584, 672, "33:14", "672P")]
    public void What_is_delivered_is_told_in_the_tasks_terms_with_the_ratio_in_lowest_terms(
        int seconds, int side, string ratio, int deliveredSeconds, int width, int height, string deliveredRatio, string resolution)
        => Assert.Equal(new Vidgate.Server.Tasks.Delivered(deliveredSeconds, width, height, deliveredRatio, resolution), new Fitted(seconds, side, ratio).Delivered);

    [Fact]
    public void A_strict_refusal_carries_the_field_and_the_accepted_values_for_the_create_to_name()
    {
        var (_, refusal) = ModelFit.Fit(FiveOrTen, UpstreamJobs.Task(seconds: 7), strict: true, "kling-v1");

        Assert.Equal(new FitRefusal("seconds", ["5", "10"]), refusal!.Fit, new FitComparer());
    }

    [Fact]
    public void Strict_takes_a_request_the_model_makes_exactly()
    {
        var (fit, refusal) = ModelFit.Fit(FiveOrTen, UpstreamJobs.Task(seconds: 10, width: 1920, height: 1080), strict: true, "m");

        Assert.Null(refusal);
        Assert.Equal(new Fitted(10, 1080, "16:9"), fit);
    }

    [Fact]
    public void The_model_map_picks_the_image_model_when_the_request_has_images_and_passes_unmapped_models_through()
    {
        var options = Parse("""{"model_map":{"grok-imagine-video":{"text":"t2v-model","image":"i2v-model"},"plain":"one-model"}}""")!;
        var text = UpstreamJobs.Job(UpstreamJobs.Task(), "k");
        var image = UpstreamJobs.Job(UpstreamJobs.Task(), "k", new UpstreamImage(new byte[] { 1 }, "image/png"));
        var other = UpstreamJobs.Job(UpstreamJobs.Task() with { Model = "unmapped" }, "k");

        Assert.Equal("t2v-model", options.ModelFor(text));
        Assert.Equal("i2v-model", options.ModelFor(image));
        Assert.Equal(other.UpstreamModel, options.ModelFor(other));
    }

    [Theory]
    [InlineData("""{"fit":"nearest"}""", "fit")]
    [InlineData("""{"model_map":{"m":{"text":"a"}}}""", "model_map")]
    [InlineData("""{"model_map":{"m":5}}""", "model_map")]
    [InlineData("""{"parameters":[1]}""", "parameters")]
    [InlineData("""{"parameters":{"duration":"10"}}""", "duration")]
    [InlineData("""{"models":{"m":{"seconds":[],"resolutions":[720],"ratios":["16:9"]}}}""", "models")]
    [InlineData("""{"models":{"m":{"seconds":[5],"resolutions":[720],"ratios":["wide"]}}}""", "models")]
    [InlineData("""{"colour":"red"}""", "colour")]
    [InlineData("""{"parameters":{"seed":1,"seed":2}}""", "twice")]
    public void Bad_options_are_refused_naming_what_is_wrong(string json, string named)
    {
        Assert.Null(VendorOptions.Parse(JsonDocument.Parse(json).RootElement, ["duration"], out var error));
        Assert.Contains(named, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Vendor_parameters_that_set_no_reserved_field_are_kept()
    {
        var options = Parse("""{"parameters":{"negative_prompt":"blur","seed":7}}""")!;

        Assert.Equal(7, options.Parameters!.Value.GetProperty("seed").GetInt32());
        Assert.Equal("blur", options.Parameters!.Value.GetProperty("negative_prompt").GetString());
    }

    [Fact]
    public void A_models_entry_overrides_the_built_in_table()
    {
        var options = Parse("""{"fit":"strict","models":{"m":{"seconds":[3,7],"resolutions":[540],"ratios":["4:3"]}}}""")!;

        Assert.True(options.Strict);
        Assert.Equal(new[] { 3, 7 }, options.Models["m"].Seconds);
        Assert.Equal(new[] { "4:3" }, options.Models["m"].Ratios);
    }

    private static VendorOptions? Parse(string json) => VendorOptions.Parse(JsonDocument.Parse(json).RootElement, ["duration"], out _);

    /// <summary>A record holding a list compares the list by reference: compare its items.</summary>
    private sealed class FitComparer : IEqualityComparer<FitRefusal?>
    {
        public bool Equals(FitRefusal? x, FitRefusal? y)
            => x is not null && y is not null && x.Field == y.Field && x.Accepted.SequenceEqual(y.Accepted) && x.Condition == y.Condition;

        public int GetHashCode(FitRefusal? obj) => obj?.Field.GetHashCode(StringComparison.Ordinal) ?? 0;
    }
}
