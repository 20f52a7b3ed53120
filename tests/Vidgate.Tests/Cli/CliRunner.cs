using System.Diagnostics;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Cli;

/// <summary>What one run of the CLI printed and how it ended.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// Runs the built CLI (<c>dotnet Vidgate.Cli.dll</c>, from its own output folder, built with the tests) as a process,
/// with a clean environment: VIDGATE_URL and VIDGATE_KEY only when a test sets them.
/// </summary>
public static class CliRunner
{
    /// <summary>The repository root (where Vidgate.slnx is).</summary>
    public static string RepoRoot => Repo.Root;

    /// <summary>Debug or Release: the configuration the tests themselves were built in.</summary>
    public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name;

    public static string CliDll => Path.Combine(RepoRoot, "src", "Vidgate.Cli", "bin", Configuration, "net10.0", "Vidgate.Cli.dll");

    public static async Task<CliRun> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        Assert.True(File.Exists(CliDll), $"the CLI is not built at {CliDll}");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        start.ArgumentList.Add(CliDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("VIDGATE_URL");
        start.Environment.Remove("VIDGATE_KEY");
        // A plain pipe, no colours: what a script sees.
        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in env ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the CLI did not finish:\n" + await stdout + await stderr);
        }

        return new CliRun(process.ExitCode, await stdout, await stderr);
    }

}
