namespace Vidgate.Server.Providers.Builtin;

/// <summary>A small deterministic generator (xorshift*): the same seed draws the same layout on every machine.</summary>
internal sealed class SceneRandom(uint seed)
{
    private ulong _state = (seed * 0x9E3779B97F4A7C15UL) | 1;

    /// <summary>A number in [0, 1).</summary>
    public float Next()
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return ((_state * 0x2545F4914F6CDD1DUL) >> 40) / (float)(1 << 24);
    }

    public float Range(float min, float max) => min + ((max - min) * Next());
}
