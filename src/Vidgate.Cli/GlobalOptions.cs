using System.CommandLine;
using Vidgate.Client;

namespace Vidgate.Cli;

/// <summary><c>--url</c>, <c>--key</c> and <c>--json</c>, on every command; the environment gives the defaults.</summary>
internal static class GlobalOptions
{
    public const string DefaultUrl = "http://127.0.0.1:8080";

    public static readonly Option<string> Url = new("--url")
    {
        Description = $"The server (env VIDGATE_URL, default {DefaultUrl}).",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("VIDGATE_URL") is { Length: > 0 } url ? url : DefaultUrl,
    };

    public static readonly Option<string?> Key = new("--key")
    {
        Description = "The API key (env VIDGATE_KEY).",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("VIDGATE_KEY"),
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Machine-readable JSON on stdout (messages and progress stay on stderr).",
        Recursive = true,
    };

    public static void AddTo(RootCommand root)
    {
        root.Options.Add(Url);
        root.Options.Add(Key);
        root.Options.Add(Json);
    }

    /// <summary>A client for the options of this invocation; a malformed URL is a usage error.</summary>
    public static VidgateClient Client(ParseResult parse, HttpClient http)
    {
        var url = parse.GetValue(Url)!;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
        {
            throw new UsageException($"--url '{url}' is not an http(s) address.");
        }

        return new VidgateClient(http, new VidgateClientOptions { BaseUrl = baseUrl, ApiKey = parse.GetValue(Key) });
    }
}

/// <summary>A mistake in how the command was called that the parser cannot see (a missing file, a bad URL).</summary>
internal sealed class UsageException(string message) : Exception(message);
