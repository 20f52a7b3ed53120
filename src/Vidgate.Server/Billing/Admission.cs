namespace Vidgate.Server.Billing;

/// <summary>An <c>Idempotency-Key</c> to record with a create: the key and a hash of the canonical request.</summary>
internal sealed record IdempotencyClaim(string Key, byte[] RequestHash);

/// <summary>What an insert did. Only <see cref="Created"/> wrote anything.</summary>
internal abstract record InsertOutcome
{
    public sealed record Created : InsertOutcome;

    /// <summary>The idempotency key was already used for the same request: this is its task.</summary>
    public sealed record Existing(string TaskId) : InsertOutcome;

    /// <summary>The idempotency key was already used for a different request.</summary>
    public sealed record KeyReused : InsertOutcome;

    public sealed record Refused(HoldRefusal Reason) : InsertOutcome;
}
