using System.CommandLine;

namespace Vidgate.Cli;

/// <summary>The command tree and the one place that turns a parse error into exit code 2.</summary>
internal static class VidgateCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("vidgate: generate and manage videos on a Vidgate server.");
        GlobalOptions.AddTo(root);
        VideoCommands.AddTo(root);
        AdminCommands.AddTo(root);

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await Console.Error.WriteLineAsync($"vidgate: {error.Message}");
            }

            await Console.Error.WriteLineAsync("Run 'vidgate --help' for the commands and their options.");
            return ExitCodes.Usage;
        }

        return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }
}

/// <summary>What scripts can rely on.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The video ended failed or cancelled.</summary>
    public const int VideoFailed = 1;

    /// <summary>Bad usage, no connection, or the server refused the call.</summary>
    public const int Usage = 2;

    /// <summary>Interrupted (Ctrl+C), as shells report SIGINT.</summary>
    public const int Interrupted = 130;
}
