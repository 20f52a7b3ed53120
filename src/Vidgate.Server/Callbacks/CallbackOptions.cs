namespace Vidgate.Server.Callbacks;

/// <summary>Section <c>Vidgate:Callbacks</c>: what one node takes of upstream callbacks.</summary>
internal sealed class CallbackOptions
{
    public const string Section = "Vidgate:Callbacks";

    /// <summary>
    /// Callbacks per second per provider instance on this node (the token bucket's refill). Kling and Vidu call on every
    /// status change, ~3 a job: 200/s keeps up with ~4,000 jobs a minute finishing on one instance.
    /// </summary>
    public double RatePerSecond { get; set; } = 200;

    /// <summary>The bucket's size: a burst this large is taken at once before the rate applies.</summary>
    public int Burst { get; set; } = 400;

    /// <summary>The largest body read (a notice is a few KiB); anything larger is a 413, unread.</summary>
    public int MaxBodyBytes { get; set; } = 64 * 1024;

    public bool IsValid() => RatePerSecond > 0 && Burst >= 1 && MaxBodyBytes >= 1024;
}
