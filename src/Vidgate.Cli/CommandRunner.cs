using System.CommandLine;
using Vidgate.Client;

namespace Vidgate.Cli;

/// <summary>Runs one command's body with a client, and turns every failure into a message on stderr and an exit code.</summary>
internal static class CommandRunner
{
    public static void SetRun(this Command command, Func<ParseResult, VidgateClient, Output, CancellationToken, Task<int>> body)
        => command.SetAction((parse, ct) => RunAsync(parse, body, ct));

    private static async Task<int> RunAsync(ParseResult parse, Func<ParseResult, VidgateClient, Output, CancellationToken, Task<int>> body, CancellationToken ct)
    {
        var output = Output.For(parse);
        // Waits and downloads take as long as the video does; a dead server is still found at once by the connect timeout.
        using var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) };
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        try
        {
            return await body(parse, GlobalOptions.Client(parse, http), output, ct);
        }
        catch (VidgateException e)
        {
            output.Error(e.IsConnectionError ? $"cannot reach {parse.GetValue(GlobalOptions.Url)}: {e.Message}" : e.Message, e);
            return ExitCodes.Usage;
        }
        catch (UsageException e)
        {
            output.Error(e.Message);
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            output.Error("interrupted");
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            output.Error(e.Message);
            return ExitCodes.Usage;
        }
    }
}
