namespace Vidgate.Client;

/// <summary>Where the server is, how to authenticate, and how patient to be.</summary>
public sealed class VidgateClientOptions
{
    /// <summary>The server's base address, e.g. <c>http://127.0.0.1:8080</c>. Required.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>The API key sent as <c>Authorization: Bearer …</c>; admin calls need an admin key.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The model of a create that names none. Default <c>grok-imagine-video</c> (the seed's create requires one).</summary>
    public string DefaultModel { get; set; } = "grok-imagine-video";

    /// <summary>How many times a 429/503 (or a dropped connection) is retried for a call that is safe to repeat. Default 3.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>The longest single wait between retries, whatever <c>Retry-After</c> asks for. Default 60 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How many times a download resumes after the connection drops mid-body. Default 5.</summary>
    public int MaxDownloadResumes { get; set; } = 5;

    /// <summary>
    /// Whether <see cref="VidgateClient.WaitForCompletionAsync"/> may use Server-Sent Events. Default true; the client
    /// falls back to polling by itself when the server has no event stream.
    /// </summary>
    public bool UseServerSentEvents { get; set; } = true;

    /// <summary>The clock used for retry and poll waits (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
