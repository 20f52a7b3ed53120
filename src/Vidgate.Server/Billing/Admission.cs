using Vidgate.Server.Tasks;

namespace Vidgate.Server.Billing;

/// <summary>An <c>Idempotency-Key</c> to record with a create: the key and a hash of the canonical request.</summary>
internal sealed record IdempotencyClaim(string Key, byte[] RequestHash);

/// <summary>
/// What a create asks to hold, and the terms of its insert (<see cref="TaskMoney"/> commits them with the task): the
/// price used, written on the hold so settling later needs no price lookup, and the idempotency key to record.
/// </summary>
internal sealed record HoldRequest(
    string TaskId, string AccountId, string KeyId, string Model, int Resolution, int Seconds, int Images, Price Price, Plan Plan) : InsertTerms
{
    public long Amount => Money.Cost(Price.PerSecond, Seconds, Price.PerImage, Images, Plan.PriceMultiplier);

    /// <summary>The create's <c>Idempotency-Key</c>, recorded in the same write as the task; null: none.</summary>
    public IdempotencyClaim? Idempotency { get; init; }

    /// <summary>Two creates with one key are never in one batch: the second must find the first's task.</summary>
    public override string? SerialKey => Idempotency is { } claim ? AccountId + "\n" + claim.Key : null;
}

/// <summary>Why a hold was refused (nothing was written).</summary>
internal abstract record HoldRefusal : InsertRefusal
{
    public sealed record Insufficient(long Needed, long Available) : HoldRefusal;

    public sealed record TooManyInFlight(int Limit) : HoldRefusal;

    public sealed record NoAccount : HoldRefusal;
}
