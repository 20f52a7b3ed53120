using Microsoft.Extensions.Time.Testing;
using Vidgate.Fakes;

namespace Vidgate.Tests.Providers.ComfyUi;

/// <summary>
/// A comfyui provider kit and a fake ComfyUI on one fake clock, started and stopped around each test; jobs take 10 s of
/// that clock unless a test says otherwise.
/// </summary>
public abstract class ComfyUiFakeTests : IAsyncLifetime
{
    private protected ComfyUiFakeTests() => Kit = new ComfyUiTestKit(Clock);

    private protected FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    private protected ComfyUiTestKit Kit { get; }

    private protected FakeComfyUi Fake { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Fake = await FakeComfyUi.StartAsync(Clock);
        Fake.Faults.JobDuration = TimeSpan.FromSeconds(10);
    }

    public async ValueTask DisposeAsync()
    {
        await Fake.DisposeAsync();
        Kit.Dispose();
        GC.SuppressFinalize(this);
    }
}
