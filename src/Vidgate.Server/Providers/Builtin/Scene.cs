namespace Vidgate.Server.Providers.Builtin;

/// <summary>Where the scene is; decides the ground, the far silhouettes and which elements come with it.</summary>
internal enum Setting { Landscape, CityStreet, Forest, Beach, Mountains, Desert, Snowfield, Lake, Meadow, Room, Space }

/// <summary>Time and light: sun height, sky gradient, ambient light and shadow colour follow it.</summary>
internal enum TimeOfDay { Day, Dawn, GoldenHour, Sunset, Dusk, Night }

/// <summary>Things drawn in the scene, named by the prompt or brought by its setting.</summary>
[Flags]
internal enum SceneElements
{
    None = 0,
    Trees = 1 << 0,
    Buildings = 1 << 1,
    Road = 1 << 2,
    Clouds = 1 << 3,
    Water = 1 << 4,
    Birds = 1 << 5,
    Rain = 1 << 6,
    Snow = 1 << 7,
    Fog = 1 << 8,
    SunRays = 1 << 9,
    Fireflies = 1 << 10,
    Neon = 1 << 11,
    Mountains = 1 << 12,
}

/// <summary>Colour grading words.</summary>
[Flags]
internal enum SceneStyle { None = 0, Neon = 1, Pastel = 2, Warm = 4, Cold = 8, BlackAndWhite = 16, Vintage = 32 }

internal enum CameraPace { Slow, Normal, Fast }

/// <summary>
/// What the preview draws for a prompt: a sketch of the scene it names. Two prompts that say the same thing (in any of
/// the known languages) read as equal scenes; <see cref="Seed"/> (from the prompt's words) only jitters the layout.
/// </summary>
internal sealed record Scene(
    Setting Setting, TimeOfDay Time, SceneElements Elements, SceneStyle Style, CameraMotion Camera, CameraPace Pace, uint Seed)
{
    public bool Has(SceneElements element) => (Elements & element) == element;

    public bool Is(SceneStyle style) => (Style & style) == style;
}
