using System.ComponentModel.DataAnnotations;

namespace Vidgate.Server.Kernel;

/// <summary>Deploy-time settings of the server (section <c>Vidgate</c>). Runtime settings live in the database.</summary>
internal sealed class VidgateOptions
{
    public const string Section = "Vidgate";

    /// <summary>Folder for the SQLite file and the local blob store. Env: <c>VIDGATE_DATA_DIR</c>.</summary>
    [Required]
    public string DataDir { get; set; } = "data";

    /// <summary>Admin key to create on first start with an empty database. Env: <c>VIDGATE_ADMIN_KEY</c>.</summary>
    public string? AdminKey { get; set; }

    /// <summary>Absolute base URL used in <c>video_url</c> links; empty means "the URL the request came in on".</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Model of an OpenAI-dialect create that names none (OpenAI's own default is <c>sora-2</c>).</summary>
    [Required]
    public string DefaultModel { get; set; } = "sora-2";

    /// <summary>Largest request body accepted (413 beyond).</summary>
    [Range(1024, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Largest decoded reference image.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxImageBytes { get; set; } = 20L * 1024 * 1024;

    /// <summary>How long results are kept after completion; then content is removed and reads say <c>video_expired</c>.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Run the workers (renders, sweeps). Off for API-only nodes: <c>vidgate serve --no-workers</c>.</summary>
    public bool Workers { get; set; } = true;

    /// <summary>A claimed task's lease; renewed while the work runs, re-queued when it lapses (crashed node).</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a running render writes its progress and renews its lease (at most a third of the lease).</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often idle workers look at the store even without a wake-up hint.</summary>
    public TimeSpan IdlePollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the sweeper re-queues lapsed leases and removes expired content.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    public string DatabasePath => Path.Combine(Path.GetFullPath(DataDir), "vidgate.db");

    public string BlobRoot => Path.Combine(Path.GetFullPath(DataDir), "blobs");

    public string WorkRoot => Path.Combine(Path.GetFullPath(DataDir), "work");
}
