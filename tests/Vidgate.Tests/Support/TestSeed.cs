using System.Globalization;
using Xunit.Sdk;

namespace Vidgate.Tests.Support;

/// <summary>
/// The seed of a randomized (chaos or property) test. <c>VIDGATE_TEST_SEED</c> replays one exactly; without it each run
/// draws a fresh seed so the suite keeps exploring. The seed is written to the test output and, through
/// <see cref="RunAsync"/>, prefixed to the failure message, so a red run always names the command that reproduces it.
/// </summary>
internal static class TestSeed
{
    public const string Variable = "VIDGATE_TEST_SEED";

    /// <summary>The seed for this test: the environment's if set, else a fresh one; printed either way.</summary>
    public static int Take()
    {
        var text = Environment.GetEnvironmentVariable(Variable);
        int seed;
        if (string.IsNullOrWhiteSpace(text))
        {
            seed = Random.Shared.Next();
        }
        else if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out seed))
        {
            throw new InvalidOperationException($"{Variable}='{text}' is not a 32-bit integer seed.");
        }

        TestContext.Current.TestOutputHelper?.WriteLine(Replay(seed));
        return seed;
    }

    /// <summary>
    /// Runs <paramref name="body"/> with the seed from <see cref="Take"/> and a <see cref="Random"/> built from it; any
    /// failure is rethrown with the replay command in its message (the original stays as the inner exception).
    /// </summary>
    public static async Task RunAsync(Func<Random, int, Task> body)
    {
        var seed = Take();
        try
        {
            await body(new Random(seed), seed);
        }
        catch (Exception e) when (e is not OperationCanceledException || !TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new XunitException($"{Replay(seed)}: {e.Message}", e);
        }
    }

    /// <inheritdoc cref="RunAsync(Func{Random, int, Task})"/>
    public static Task RunAsync(Func<Random, Task> body) => RunAsync((random, _) => body(random));

    private static string Replay(int seed) => $"seed {seed} (replay with {Variable}={seed.ToString(CultureInfo.InvariantCulture)})";
}
