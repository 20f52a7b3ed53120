namespace Vidgate.Server.Providers.Builtin;

/// <summary>
/// Finds vocabulary terms in a normalised prompt (<see cref="Join"/>: lower case words between single spaces). English
/// terms match whole words (optionally with a plural or adjective ending); Chinese terms, written without spaces, match
/// as substrings.
/// </summary>
internal static class SceneText
{
    // Plurals and adjectives only ("trees", "snowy"): "-ing" would turn "streaming through" into a stream.
    private static readonly string[] Endings = ["s", "es", "y"];

    public static string Join(IEnumerable<string> words) => " " + string.Join(' ', words.Select(w => w.Replace('-', ' '))) + " ";

    /// <summary>Position of the first occurrence of <paramref name="term"/>, or -1.</summary>
    /// <param name="exact">English only: no endings allowed (camera phrases are exact).</param>
    public static int IndexOf(string text, string term, bool exact = false)
    {
        if (IsCjk(term))
        {
            return text.IndexOf(term, StringComparison.Ordinal);
        }
        var needle = " " + term.Replace('-', ' ');
        var best = text.IndexOf(needle + " ", StringComparison.Ordinal);
        if (exact)
        {
            return best;
        }
        foreach (var ending in Endings)
        {
            var index = text.IndexOf(needle + ending + " ", StringComparison.Ordinal);
            if (index >= 0 && (best < 0 || index < best))
            {
                best = index;
            }
        }
        return best;
    }

    /// <summary>Position of the earliest of <paramref name="terms"/>, or -1.</summary>
    public static int First(string text, IEnumerable<string> terms)
    {
        var best = -1;
        foreach (var term in terms)
        {
            var index = IndexOf(text, term);
            if (index >= 0 && (best < 0 || index < best))
            {
                best = index;
            }
        }
        return best;
    }

    private static bool IsCjk(string term) => term.Any(c => c is >= '\u3400' and <= '\u9FFF');
}
