using System.Globalization;
using System.Net;
using System.Text;

namespace Vidgate.Tests.Proof;

/// <summary>The soak's chart: one small panel per series (a polyline over time), hand-written SVG, no dependencies.</summary>
internal static class SoakChart
{
    private const int Width = 720;
    private const int PanelHeight = 110;
    private const int Left = 70;
    private const int Right = 20;

    public static void Write(string file, List<(string Name, string Unit, List<(double At, double Value)> Points)> series, string title)
    {
        var height = 40 + (series.Count * (PanelHeight + 20));
        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"sans-serif\" font-size=\"11\">");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{height}\" fill=\"#fff\"/><text x=\"{Left}\" y=\"22\" font-size=\"14\">{WebUtility.HtmlEncode(title)}</text>");
        var top = 40;
        foreach (var (name, unit, points) in series)
        {
            var maxAt = Math.Max(1, points.Count == 0 ? 1 : points.Max(p => p.At));
            var maxValue = points.Count == 0 ? 1 : Math.Max(points.Max(p => p.Value) * 1.1, 1e-9);
            var plot = Width - Left - Right;
            svg.AppendLine(CultureInfo.InvariantCulture, $"<g transform=\"translate(0,{top})\">");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"0\" width=\"{plot}\" height=\"{PanelHeight}\" fill=\"#f7f7f7\" stroke=\"#ccc\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{Left + 6}\" y=\"14\">{WebUtility.HtmlEncode(name)}{(unit.Length > 0 ? " (" + unit + ")" : "")}</text>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"10\" text-anchor=\"end\">{maxValue:0.#}</text><text x=\"{Left - 6}\" y=\"{PanelHeight}\" text-anchor=\"end\">0</text>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right}\" y=\"{PanelHeight + 13}\" text-anchor=\"end\">{maxAt / 60:0.#} min</text>");
            var line = string.Join(' ', points.Select(p => string.Create(CultureInfo.InvariantCulture,
                $"{Left + (p.At / maxAt * plot):0.#},{PanelHeight - (p.Value / maxValue * PanelHeight):0.#}")));
            svg.AppendLine(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"#2563eb\" stroke-width=\"1.5\" points=\"{line}\"/>");
            svg.AppendLine("</g>");
            top += PanelHeight + 20;
        }

        svg.AppendLine("</svg>");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, svg.ToString());
    }
}
