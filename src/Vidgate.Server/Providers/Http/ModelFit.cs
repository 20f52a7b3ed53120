using System.Globalization;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Providers.Http;

/// <summary>What a vendor model accepts: a fixed set of lengths (s), output heights (the short side: 720, 1080) and ratios.</summary>
internal sealed record ModelSpec(IReadOnlyList<int> Seconds, IReadOnlyList<int> Resolutions, IReadOnlyList<string> Ratios);

/// <summary>What will really be delivered for a request: the snapped length, short side, ratio and the size they make.</summary>
internal sealed record Fitted(int Seconds, int Resolution, string Ratio)
{
    public int Width => Ratio.Split(':') is [var w, var h] ? Even(Resolution * Math.Max(1, Value(w) / Value(h))) : Resolution;

    public int Height => Ratio.Split(':') is [var w, var h] ? Even(Resolution * Math.Max(1, Value(h) / Value(w))) : Resolution;

    public string ResolutionLabel => Resolution >= 2160 ? "4k" : Resolution.ToString(CultureInfo.InvariantCulture) + "p";

    /// <summary>The task's terms for it: the ratio in lowest terms (Runway's <c>1280:720</c> is <c>16:9</c>), the short side as <c>720P</c>.</summary>
    public Delivered Delivered => new(Seconds, Width, Height, LowestTerms(Ratio), Resolution.ToString(CultureInfo.InvariantCulture) + "P");

    private static double Value(string part) => double.Parse(part, CultureInfo.InvariantCulture);

    private static string LowestTerms(string ratio)
    {
        if (ratio.Split(':') is not [var w, var h] || !int.TryParse(w, CultureInfo.InvariantCulture, out var a) || !int.TryParse(h, CultureInfo.InvariantCulture, out var b) || a <= 0 || b <= 0)
        {
            return ratio;
        }

        var gcd = (int)System.Numerics.BigInteger.GreatestCommonDivisor(a, b);
        return $"{a / gcd}:{b / gcd}";
    }

    private static int Even(double value) => (int)Math.Round(value / 2) * 2;
}

/// <summary>
/// Honest mapping of a request onto what a vendor model accepts (issue "Mapping honestly"): snap each of length, size
/// and ratio to the nearest accepted value, or under <c>fit: "strict"</c> refuse a request that is not exactly
/// accepted, naming the field and the accepted values.
/// </summary>
internal static class ModelFit
{
    /// <summary>The request snapped to <paramref name="spec"/>, or (strict, when it does not fit as asked) the refusal.</summary>
    public static (Fitted? Fit, UpstreamSubmit.Rejected? Refusal) Fit(ModelSpec spec, VideoTask task, bool strict, string model)
    {
        var shortSide = Math.Min(task.Width, task.Height);
        var ratio = task.Width / (double)task.Height;
        var seconds = Nearest(spec.Seconds, task.Seconds);
        var resolution = Nearest(spec.Resolutions, shortSide);
        var ratioName = spec.Ratios.MinBy(r => Math.Abs(Math.Log(RatioValue(r) / ratio))) ?? "16:9";
        if (strict)
        {
            if (seconds != task.Seconds)
            {
                return (null, Refuse("seconds", task.Seconds.ToString(CultureInfo.InvariantCulture), model, spec.Seconds.Select(s => s.ToString(CultureInfo.InvariantCulture))));
            }

            if (resolution != shortSide)
            {
                return (null, Refuse("resolution", shortSide + "p", model, spec.Resolutions.Select(r => r + "p")));
            }

            if (Math.Abs(Math.Log(RatioValue(ratioName) / ratio)) > 0.02)
            {
                return (null, Refuse("aspect_ratio", task.AspectRatio, model, spec.Ratios));
            }
        }

        return (new Fitted(seconds, resolution, ratioName), null);
    }

    public static UpstreamSubmit.Rejected Refuse(string field, string asked, string model, IEnumerable<string> accepted)
    {
        string[] values = [.. accepted];
        return new("unsupported_value", $"{field} {asked} is not accepted by the upstream model {model} (fit: strict); accepted: {string.Join(", ", values)}.")
        {
            Fit = new FitRefusal(field, values),
        };
    }

    public static double RatioValue(string ratio) => ratio.Split(':') is [var w, var h]
        && double.TryParse(w, CultureInfo.InvariantCulture, out var a) && double.TryParse(h, CultureInfo.InvariantCulture, out var b) && a > 0 && b > 0
            ? a / b
            : 1;

    /// <summary>The nearest accepted value; on a tie the smaller one (never bill more than was asked for).</summary>
    private static int Nearest(IReadOnlyList<int> accepted, int asked) => accepted.OrderBy(v => Math.Abs(v - asked)).ThenBy(v => v).First();
}
