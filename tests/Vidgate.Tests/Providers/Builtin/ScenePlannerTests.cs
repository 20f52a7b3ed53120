using Vidgate.Server.Providers.Builtin;

namespace Vidgate.Tests.Providers.Builtin;

public sealed class ScenePlannerTests
{
    [Theory]
    [InlineData("a drone moving forward over hills", "PushIn")]
    [InlineData("slow push in on a coffee cup", "PushIn")]
    [InlineData("Dolly in towards the door", "PushIn")]
    [InlineData("ZOOM IN on the eye", "PushIn")]
    [InlineData("zoom out to reveal the valley", "PullOut")]
    [InlineData("camera pulls back, pull back slowly", "PullOut")]
    [InlineData("pull out from the window", "PullOut")]
    [InlineData("car moving backward down the street", "PullOut")]
    [InlineData("pan left across the skyline", "PanLeft")]
    [InlineData("pan right, over the bay", "PanRight")]
    [InlineData("tilt up to the tower top", "TiltUp")]
    [InlineData("tilt down to the river", "TiltDown")]
    [InlineData("orbit the statue", "Orbit")]
    [InlineData("a hawk circling the field", "Orbit")]
    [InlineData("the camera goes around the fountain", "Orbit")]
    [InlineData("static shot of a lake", "Static")]
    [InlineData("a still frame of a candle", "Static")]
    [InlineData("locked-off wide shot", "Static")]
    public void Motion_phrases_map_to_camera_moves(string prompt, string expected) =>
        Assert.Equal(Enum.Parse<CameraMotion>(expected), ScenePlanner.Plan(prompt).Motion);

    [Fact]
    public void Without_a_motion_phrase_the_camera_pushes_in_gently() =>
        Assert.Equal(CameraMotion.PushIn, ScenePlanner.Plan("a red apple on a table").Motion);

    [Fact]
    public void The_first_motion_phrase_in_the_prompt_wins() =>
        Assert.Equal(CameraMotion.PanLeft, ScenePlanner.Plan("pan left, then zoom in").Motion);

    [Fact]
    public void Motion_words_inside_other_words_do_not_match() =>
        Assert.Equal(CameraMotion.PushIn, ScenePlanner.Plan("stillness of the orbital station").Motion);

    [Fact]
    public void The_same_prompt_gives_the_same_plan()
    {
        var a = ScenePlanner.Plan("a lighthouse in a storm, pan right");
        var b = ScenePlanner.Plan("a lighthouse in a storm, pan right");
        Assert.Equal(a.Palette, b.Palette);
        Assert.Equal(a.Light, b.Light);
        Assert.Equal(a.Motion, b.Motion);
        Assert.Equal(a.Seed, b.Seed);
    }

    [Theory]
    [InlineData("A red apple, on a table!")]
    [InlineData("a   red apple on a TABLE")]
    [InlineData("...a red apple; on a table")]
    public void Case_spacing_and_punctuation_do_not_change_the_scene(string variant)
    {
        var plan = ScenePlanner.Plan("a red apple on a table");
        var other = ScenePlanner.Plan(variant);

        Assert.Equal(plan.Palette, other.Palette);
        Assert.Equal(plan.Light, other.Light);
        Assert.Equal(plan.Motion, other.Motion);
        Assert.Equal(plan.Seed, other.Seed);
    }

    [Fact]
    public void Different_prompts_give_different_palettes()
    {
        var prompts = new[] { "a red apple on a table", "a cat reading a book", "an old typewriter", "two robots dancing", "a bowl of soup" };
        var palettes = prompts.Select(p => string.Join(',', ScenePlanner.Plan(p).Palette)).ToHashSet();
        Assert.Equal(prompts.Length, palettes.Count);
    }

    [Theory]
    [InlineData("golden sunset over the hills", "sunset over water")]
    [InlineData("deep ocean waves", "a calm sea at noon")]
    [InlineData("a quiet forest path", "tall trees of the forest")]
    public void Keywords_choose_a_themed_palette(string a, string b) =>
        Assert.Equal(ScenePlanner.Plan(a).Palette, ScenePlanner.Plan(b).Palette);

    [Fact]
    public void Themes_differ_from_each_other()
    {
        var themes = new[] { "sunset", "ocean", "forest", "night", "city", "snow", "fire", "desert" };
        var palettes = themes.Select(t => string.Join(',', ScenePlanner.Plan(t).Palette)).ToHashSet();
        Assert.Equal(themes.Length, palettes.Count);
    }

    [Theory]
    [InlineData("a volcano erupting", true)]
    [InlineData("burning embers", true)]
    [InlineData("golden sunset over the hills", true)]
    [InlineData("deep ocean waves", false)]
    [InlineData("a glacier in winter", false)]
    [InlineData("a city at midnight", false)]
    public void A_warm_theme_looks_warm_and_a_cold_theme_looks_cold(string prompt, bool warm)
    {
        // Judged on the whole palette and the light, as the eye does, not on one colour slot.
        var plan = ScenePlanner.Plan(prompt);
        var colours = plan.Palette.Append(plan.Light).ToList();
        var redness = colours.Sum(c => c.R) - colours.Sum(c => c.B);
        Assert.True(warm ? redness > 0 : redness < 0, $"{prompt}: {string.Join(' ', colours)}");
    }

    [Fact]
    public void Palettes_have_three_or_four_colours_as_hex_literals()
    {
        var plan = ScenePlanner.Plan("anything at all");
        Assert.InRange(plan.Palette.Count, 3, 4);
        Assert.All(plan.Palette, c => Assert.Matches("^0x[0-9A-F]{6}$", c.ToString()));
    }
}
