namespace Vidgate.Server.Providers;

/// <summary>
/// A remote provider whose upstream can call back when a job changes (Kling, MiniMax, Luma, Ark, Vidu, Replicate, fal).
/// A callback is only a wake-up for the tracker: nothing here reads a job's state from it. Implemented by the kit
/// (<c>Providers/Http/HttpVendor</c>); a vendor only says where its submit takes the URL.
/// </summary>
internal interface IUpstreamCallbacks
{
    /// <summary>The vendor documents a callback field (false: <c>callbacks: true</c> is refused for this type).</summary>
    bool TakesCallbacks { get; }

    /// <summary>The instance asks for callbacks (<c>options.callbacks: true</c>) and the vendor takes them: submits carry the URL.</summary>
    bool CallbacksOn { get; }

    /// <summary>Null when the instance's callback options are usable; otherwise what is wrong, for the admin API's 400.</summary>
    string? CallbackProblem { get; }

    /// <summary>
    /// Checks the vendor's own signature of a callback (Replicate's Standard Webhooks HMAC, fal's Ed25519, whose keys may
    /// have to be fetched first); null when it holds or the vendor signs nothing, otherwise why it was refused.
    /// <paramref name="header"/> reads a request header (null: absent).
    /// </summary>
    ValueTask<string?> VerifyAsync(Func<string, string?> header, ReadOnlyMemory<byte> body, DateTimeOffset now, CancellationToken ct);

    /// <summary>The JSON answer to a vendor's verification request (MiniMax's <c>challenge</c>), or null when the body is a notice.</summary>
    string? Challenge(ReadOnlySpan<byte> body);
}
