using System.Globalization;
using System.Text;

namespace Vidgate.Server.Metrics;

/// <summary>
/// Writes the Prometheus text exposition format, version 0.0.4: <c># HELP</c> and <c># TYPE</c> once per metric, then
/// <c>name{label="value"} number</c> lines. Label values escape backslash, double quote and newline; help text
/// escapes backslash and newline.
/// </summary>
internal sealed class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly StringBuilder _text = new(4096);

    public void Header(string name, string type, string? help)
    {
        _text.Append("# HELP ").Append(name).Append(' ');
        Escape(help ?? name, quotes: false);
        _text.Append('\n').Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    public void Sample(string name, IReadOnlyList<KeyValuePair<string, string>> labels, double value)
        => Sample(name, labels, Number(value));

    public void Sample(string name, IReadOnlyList<KeyValuePair<string, string>> labels, long value)
        => Sample(name, labels, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>A sample value or bucket bound: shortest round-trip form, <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>.</summary>
    public static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    public override string ToString() => _text.ToString();

    private void Sample(string name, IReadOnlyList<KeyValuePair<string, string>> labels, string value)
    {
        _text.Append(name);
        if (labels.Count > 0)
        {
            _text.Append('{');
            for (var i = 0; i < labels.Count; i++)
            {
                _text.Append(i == 0 ? "" : ",").Append(labels[i].Key).Append("=\"");
                Escape(labels[i].Value, quotes: true);
                _text.Append('"');
            }

            _text.Append('}');
        }

        _text.Append(' ').Append(value).Append('\n');
    }

    private void Escape(string value, bool quotes)
    {
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => _text.Append(@"\\"),
                '\n' => _text.Append(@"\n"),
                '"' when quotes => _text.Append("\\\""),
                _ => _text.Append(c),
            };
        }
    }
}
