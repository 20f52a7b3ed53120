namespace Vidgate.Tests.Support;

/// <summary>One server per test class, for tests that do not need a private clock or data folder.</summary>
public sealed class AppFixture : IDisposable
{
    public VidgateApp App { get; } = new();

    public void Dispose() => App.Dispose();
}
