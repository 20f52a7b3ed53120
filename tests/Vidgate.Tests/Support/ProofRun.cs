using System.Globalization;
using System.Text;

namespace Vidgate.Tests.Support;

/// <summary>
/// The length of a proof part (tests/Vidgate.Tests/Proof/). In <c>./vidgate test</c> VIDGATE_PROOF is unset and every part
/// runs its short form; <c>./vidgate proof [part]</c> sets <c>long</c> (the figures published in docs/reliability.md) or,
/// with <c>--short</c>, <c>short</c>. Each part picks its own sizes with <see cref="Pick{T}"/> and writes what it measured
/// with <see cref="Report"/>, which prints to the test output and, in a proof run, to bench/results/proof-&lt;part&gt;-&lt;time&gt;.md.
/// A proof part's class carries <c>[Trait("Proof", "&lt;part&gt;")]</c> so <c>./vidgate proof &lt;part&gt;</c> can select it.
/// </summary>
internal static class ProofRun
{
    public const string Variable = "VIDGATE_PROOF";

    /// <summary>"test" (inside ./vidgate test), "short" or "long".</summary>
    public static string Scale { get; } = Environment.GetEnvironmentVariable(Variable) switch
    {
        "long" => "long",
        "short" => "short",
        _ => "test",
    };

    public static bool IsProof => Scale != "test";

    /// <summary>The size for this run: <paramref name="test"/> in the suite, <paramref name="shortRun"/> or <paramref name="longRun"/> under ./vidgate proof.</summary>
    public static T Pick<T>(T test, T shortRun, T longRun) => Scale switch
    {
        "long" => longRun,
        "short" => shortRun,
        _ => test,
    };

    /// <summary>Writes a part's figures (markdown) to the test output and, in a proof run, to bench/results.</summary>
    public static void Report(string part, string markdown)
    {
        var header = string.Create(CultureInfo.InvariantCulture,
            $"# proof {part} ({Scale}) at {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss}Z, commit {Commit()}, {Environment.ProcessorCount} cores\n\n");
        TestContext.Current.TestOutputHelper?.WriteLine(header + markdown);
        if (!IsProof)
        {
            return;
        }

        var dir = Path.Combine(Repo.Root, "bench", "results");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"proof-{part}-{DateTimeOffset.UtcNow:yyyyMMdd'T'HHmmss'Z'}.md"));
        File.WriteAllText(file, header + markdown + "\n", Encoding.UTF8);
        Console.WriteLine($"proof {part}: figures in {file}");
    }

    private static string Commit()
    {
        try
        {
            var head = File.ReadAllText(Path.Combine(Repo.Root, ".git", "HEAD")).Trim();
            if (!head.StartsWith("ref: ", StringComparison.Ordinal))
            {
                return head[..Math.Min(12, head.Length)];
            }

            var refFile = Path.Combine(Repo.Root, ".git", head[5..]);
            return File.Exists(refFile) ? File.ReadAllText(refFile).Trim()[..12] : head[5..];
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}

/// <summary>The repository root (the folder holding Vidgate.slnx), found from the test assembly's folder.</summary>
internal static class Repo
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Vidgate.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Vidgate.slnx) was not found above " + AppContext.BaseDirectory);
    }
}
