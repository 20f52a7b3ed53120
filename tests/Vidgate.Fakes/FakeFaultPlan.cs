using System.Collections.Concurrent;

namespace Vidgate.Fakes;

/// <summary>Which of a fake's calls a <see cref="FakeFaultPlan"/> draws a fault for.</summary>
public enum FakeCall
{
    /// <summary>The create of a job.</summary>
    Submit,

    /// <summary>A status read.</summary>
    Poll,

    /// <summary>The job's result, drawn once when the job is made and kept (an expired URL stays expired).</summary>
    Result,
}

/// <summary>
/// A seeded fault-injection plan for a fake upstream (the faults proof): each call fails with probability
/// <paramref name="rate"/>, with a fault drawn evenly from those that call can meet. Besides the refusals a gateway can
/// retry elsewhere safely (429, 500, a reset or a timeout before the job is made, garbage), submits meet the
/// <i>ambiguous</i> ones: the job is made and then the answer is lost (<see cref="FakeFault.ResetAfterAccept"/>,
/// <see cref="FakeFault.TimeoutAfterAccept"/>, <see cref="FakeFault.MalformedAfterAccept"/>). Results meet expired URLs
/// and bodies that are not videos. Thread-safe; the same seed and the same order of calls give the same faults.
/// </summary>
public sealed class FakeFaultPlan(int seed, double rate)
{
    private static readonly FakeFault[] SubmitFaults =
    [
        FakeFault.RateLimited, FakeFault.ServerError, FakeFault.Timeout, FakeFault.Reset, FakeFault.Malformed,
        FakeFault.ResetAfterAccept, FakeFault.TimeoutAfterAccept, FakeFault.MalformedAfterAccept,
    ];

    private static readonly FakeFault[] PollFaults = [FakeFault.RateLimited, FakeFault.ServerError, FakeFault.Timeout, FakeFault.Reset, FakeFault.Malformed];
    private static readonly FakeFault[] ResultFaults = [FakeFault.ExpiredUrl, FakeFault.NotVideo];

    private readonly Random _random = new(seed);
    private readonly ConcurrentDictionary<(FakeCall, FakeFault), int> _counts = new();
    private readonly ConcurrentDictionary<FakeCall, int> _clean = new();

    public double Rate => rate;

    /// <summary>Calls of each kind that were drawn for, faulty or not.</summary>
    public int Calls(FakeCall call) => _counts.Where(c => c.Key.Item1 == call).Sum(c => c.Value) + _clean.GetValueOrDefault(call);

    /// <summary>Faults injected, by call and kind.</summary>
    public IReadOnlyDictionary<(FakeCall Call, FakeFault Fault), int> Injected => _counts;

    /// <summary>The fault for this call, or null to answer normally.</summary>
    public FakeFault? Draw(FakeCall call)
    {
        var pool = call switch
        {
            FakeCall.Submit => SubmitFaults,
            FakeCall.Poll => PollFaults,
            _ => ResultFaults,
        };
        FakeFault? fault;
        lock (_random)
        {
            fault = _random.NextDouble() < rate ? pool[_random.Next(pool.Length)] : null;
        }

        if (fault is { } f)
        {
            _counts.AddOrUpdate((call, f), 1, (_, n) => n + 1);
        }
        else
        {
            _clean.AddOrUpdate(call, 1, (_, n) => n + 1);
        }

        return fault;
    }
}
