using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Spectre.Console;
using Vidgate.Client;
using Vidgate.Contracts;

namespace Vidgate.Cli;

/// <summary>
/// Where things are written: results on stdout (JSON with <c>--json</c>, else tables), everything else — progress,
/// notes, errors — on stderr, so a script's stdout holds only what it asked for.
/// </summary>
internal sealed class Output(bool json)
{
    public bool Json { get; } = json;

    /// <summary>Human-facing output on stderr (progress bars, notes).</summary>
    public IAnsiConsole Err { get; } = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    /// <summary>Tables and plain results on stdout.</summary>
    public IAnsiConsole Out { get; } = Wide(AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) }));

    // Piped into grep or a file there is no terminal width: Spectre would assume 80 columns and cut ids short.
    private static IAnsiConsole Wide(IAnsiConsole console)
    {
        if (Console.IsOutputRedirected)
        {
            console.Profile.Width = 400;
        }

        return console;
    }

    public static Output For(ParseResult parse) => new(parse.GetValue(GlobalOptions.Json));

    public void WriteJson<T>(T value, JsonTypeInfo<T> type) => Console.Out.WriteLine(JsonSerializer.Serialize(value, type));

    /// <summary>A plain line on stdout (never wrapped to the terminal's width: paths and ids stay whole).</summary>
    public void Line(string text) => Console.Out.WriteLine(text);

    public void Note(string text) => Err.MarkupLineInterpolated($"[grey]{text}[/]");

    /// <summary>One line per field, for a single object.</summary>
    public void Fields(params (string Name, string? Value)[] fields)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        foreach (var (name, value) in fields)
        {
            grid.AddRow(new Text(name, new Style(decoration: Decoration.Bold)), new Text(value ?? "-"));
        }

        Out.Write(grid);
    }

    public void Table(string[] headers, IEnumerable<string?[]> rows)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(header).NoWrap());
        }

        foreach (var row in rows)
        {
            table.AddRow([.. row.Select(cell => new Text(cell ?? "-"))]);
        }

        Out.Write(table);
    }

    public void Video(SeedVideo video) => Fields(
        ("id", video.Id),
        ("status", video.Status),
        ("progress", $"{video.Progress}%"),
        ("model", video.Model),
        ("seconds", video.Seconds),
        ("size", video.Size),
        ("aspect", video.AspectRatio),
        ("created", When(video.CreatedAt)),
        ("completed", video.CompletedAt is { } c ? When(c) : null),
        ("expires", video.ExpiresAt is { } e ? When(e) : null),
        ("error", video.Error is { } error ? $"{error.Code}: {error.Message}" : null),
        ("url", string.IsNullOrEmpty(video.VideoUrl) ? null : video.VideoUrl));

    public static string When(long unixSeconds) => DateTimeOffset.FromUnixTimeSeconds(unixSeconds).ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static string Money(long micros) => (micros / 1_000_000m).ToString("0.00####", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>An error for stderr; with <c>--json</c> also the error envelope on stdout, so scripts can read it.</summary>
    public void Error(string message, VidgateException? error = null)
    {
        var detail = error is null ? "" : string.Join(", ", new[] { error.Status > 0 ? $"HTTP {error.Status}" : null, error.Type, error.Code, error.Param is null ? null : $"param {error.Param}" }.Where(s => s is not null));
        Console.Error.WriteLine(detail.Length > 0 ? $"vidgate: {message} ({detail})" : $"vidgate: {message}");
        if (Json && error is not null)
        {
            WriteJson(new ErrorBody(new ErrorDetail(error.Message, error.Type, error.Param, error.Code)), CliJson.Out.ErrorBody);
        }
    }
}
