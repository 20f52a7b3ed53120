namespace Vidgate.Server.Live;

/// <summary>Live progress (<c>GET /v1/videos/{id}/events</c> and <c>?wait=</c>), section <c>Vidgate:Live</c>.</summary>
internal sealed class LiveOptions
{
    public const string Section = "Vidgate:Live";

    /// <summary>The longest <c>?wait=</c> a retrieve may ask for, in seconds.</summary>
    public const int MaxWaitSeconds = 60;

    /// <summary>
    /// A comment line on an idle event stream this often, so proxies and load balancers that close quiet connections
    /// (often after 30–60 s) keep it open, and the client learns a dead connection soon.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A watcher reads its task again this often even when no change hint came: hints can be lost (another node's, while
    /// the LISTEN connection reconnects), and correctness must not depend on them.
    /// </summary>
    public TimeSpan RecheckInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// A stream still open after this long is ended by the server even if its video has not ended: the client reconnects
    /// with <c>Last-Event-ID</c> (an EventSource does so by itself) and misses nothing, while no connection is held for
    /// ever and streams spread over the nodes again after a scale-out or restart.
    /// </summary>
    public TimeSpan MaxStreamDuration { get; set; } = TimeSpan.FromMinutes(30);
}
