using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Proof;

/// <summary>The engine a crash proof runs on: SQLite and local blobs, or PostgreSQL and an S3 bucket (s3rver).</summary>
internal enum CrashEngine
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The crash proof's servers: <see cref="Count"/> real Vidgate processes on one engine, each with its own data folder
/// and port (a killed node restarts on both). What the proof checks about stored results is read from outside the
/// servers: on SQLite the OS's file events in the blob folder (<see cref="BlobWatcher"/>), on S3 the storage server's own
/// log of each object it stored and its files on disk. On PostgreSQL the database tells which node holds a lease, so a
/// kill can be aimed at the node doing the work.
/// </summary>
internal sealed partial class CrashCluster : IAsyncDisposable
{
    private readonly ServerProcess?[] _nodes;
    private readonly string[] _dirs;
    private readonly int[] _ports;
    private readonly string[] _args;
    private readonly List<string> _pastOutputs = [];
    private readonly BlobWatcher? _watcher;
    private readonly S3rverServer? _s3;
    private readonly string? _database;
    private readonly NpgsqlDataSource? _db;

    private CrashCluster(CrashEngine engine, string[] dirs, string[] args, BlobWatcher? watcher, S3rverServer? s3, string? database, NpgsqlDataSource? db)
    {
        Engine = engine;
        _dirs = dirs;
        _args = args;
        _watcher = watcher;
        _s3 = s3;
        _database = database;
        _db = db;
        _nodes = new ServerProcess?[dirs.Length];
        _ports = [.. dirs.Select(_ => ServerProcess.FreePort())];
    }

    public CrashEngine Engine { get; }

    public int Count => _nodes.Length;

    /// <summary>How the figures name this set-up.</summary>
    public string Name => Engine == CrashEngine.Sqlite
        ? (Count == 1 ? "SQLite, one node" : $"SQLite, {Count} nodes")
        : $"PostgreSQL + S3 (s3rver), {Count} nodes (each API + workers)";

    /// <summary>The report's part name: <c>crash</c> (SQLite) or <c>crash-pg</c>.</summary>
    public string Part => Engine == CrashEngine.Sqlite ? "crash" : "crash-pg";

    public ServerProcess Node(int i) => _nodes[i] ?? throw new InvalidOperationException($"node {i} is down");

    public Uri Address(int i) => new($"http://127.0.0.1:{_ports[i].ToString(CultureInfo.InvariantCulture)}");

    /// <summary>
    /// Folders, database and bucket for <paramref name="nodes"/> nodes on <paramref name="engine"/>; no node started yet.
    /// <paramref name="settings"/> are every node's command-line settings; the engine's are added.
    /// </summary>
    public static async Task<CrashCluster> CreateAsync(CrashEngine engine, int nodes, IReadOnlyDictionary<string, string> settings)
    {
        var dirs = Enumerable.Range(0, nodes).Select(i => Directory.CreateTempSubdirectory($"vidgate-crashproof-{i}-").FullName).ToArray();
        var all = new Dictionary<string, string>(settings, StringComparer.Ordinal);
        if (engine == CrashEngine.Sqlite)
        {
            if (nodes != 1)
            {
                throw new ArgumentOutOfRangeException(nameof(nodes), "one SQLite file serves one process (docs/deploy.md)");
            }

            return new CrashCluster(engine, dirs, Args(all), BlobWatcher.Start(dirs[0]), null, null, null);
        }

        var s3 = await S3rverServer.StartAsync("vidgate-crash");
        var database = PostgresServer.Instance.CreateDatabase("crashproof");
        var connection = PostgresServer.Instance.ConnectionString(database, maxPoolSize: 20);
        foreach (var (key, value) in s3.Settings())
        {
            all[key] = value!;
        }

        all["Vidgate:Database:Provider"] = "postgres";
        all["ConnectionStrings:Vidgate"] = connection;

        // Providers and routes made on one node reach the others within this (docs/deploy.md, "Limits across nodes").
        all["Vidgate:Upstreams:ReloadInterval"] = "00:00:01";
        return new CrashCluster(engine, dirs, Args(all), null, s3, database, NpgsqlDataSource.Create(connection));
    }

    // A start on a machine shared with other builds can take well over ServerProcess's usual 30 s (seen at load ~60
    // with two nodes, PostgreSQL and s3rver running): waiting longer keeps the start's progress, a second start does not.
    public async Task StartAsync(int i) => _nodes[i] = await ServerProcess.StartAsync(_dirs[i], _ports[i], TimeSpan.FromSeconds(90), _args);

    /// <summary>SIGKILL node <paramref name="i"/> and the ffmpeg runs it leaves behind (a real crash leaves them too).</summary>
    public async Task KillAsync(int i)
    {
        var node = Node(i);
        await node.KillAsync();
        CrashRig.KillOrphans(_dirs[i]);
        lock (_pastOutputs)
        {
            _pastOutputs.Add(node.Output);
        }

        await node.DisposeAsync();
        _nodes[i] = null;
    }

    /// <summary>
    /// Restarts node <paramref name="i"/> on its folder and port; on a machine loaded enough that it misses the 90 s
    /// readiness limit, the leftover process is stopped and it is started once more (a second failure is a real one and
    /// fails the proof).
    /// </summary>
    public async Task RestartAsync(int i)
    {
        try
        {
            await StartAsync(i);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            TestContext.Current.TestOutputHelper?.WriteLine($"restart of node {i} failed, trying once more: " + ex.Message.Split('\n')[0]);
            CrashRig.KillOrphans($"127.0.0.1:{_ports[i].ToString(CultureInfo.InvariantCulture)}");
            await StartAsync(i);
        }
    }

    /// <summary>Everything every node printed, killed runs included.</summary>
    public IReadOnlyList<string> Outputs()
    {
        lock (_pastOutputs)
        {
            return [.. _pastOutputs, .. _nodes.Where(n => n is not null).Select(n => n!.Output)];
        }
    }

    /// <summary>
    /// Stores of each task's video, by task id, as the storage saw them: file events in the blob folder (SQLite; inotify
    /// may miss one, never doubles one), or s3rver's "Stored object" line per completed PUT or multipart upload.
    /// </summary>
    public IReadOnlyDictionary<string, int> VideoStores()
    {
        if (_watcher is not null)
        {
            return _watcher.Writes;
        }

        var stores = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in _s3!.Log)
        {
            if (StoredVideo().Match(line) is { Success: true } match)
            {
                stores[match.Groups[1].Value] = stores.GetValueOrDefault(match.Groups[1].Value) + 1;
            }
        }

        return stores;
    }

    /// <summary>Whether the task's video is in the store (the file, or the object's bytes in s3rver's folder).</summary>
    public bool HasVideo(string id) => _s3 is null
        ? File.Exists(Path.Combine(_dirs[0], "blobs", "videos", id, "video.mp4"))
        : File.Exists(Path.Combine(_s3.Directory, _s3.Bucket, "videos", id, "video.mp4._S3rver_object"));

    /// <summary>
    /// Result files where none should be: partial blob files (SQLite); on S3, any file under a node's own <c>blobs/</c>
    /// (with S3 a node's disk holds no results and can be thrown away).
    /// </summary>
    public int Leftovers()
    {
        if (_s3 is null)
        {
            return Directory.EnumerateFiles(Path.Combine(_dirs[0], "blobs"), "*.tmp-*", SearchOption.AllDirectories).Count();
        }

        return _dirs.Sum(dir => Directory.Exists(Path.Combine(dir, "blobs")) ? Directory.EnumerateFiles(Path.Combine(dir, "blobs"), "*", SearchOption.AllDirectories).Count() : 0);
    }

    /// <summary>
    /// Multipart uploads begun and never completed nor aborted (S3 only; a node killed mid-upload leaves one, which a
    /// bucket lifecycle rule removes): counted for the report, not a failure.
    /// </summary>
    public int IncompleteUploads() => _s3 is null ? 0
        : Directory.Exists(Path.Combine(_s3.Directory, _s3.Bucket, "._S3rver_uploads"))
            ? Directory.GetDirectories(Path.Combine(_s3.Directory, _s3.Bucket, "._S3rver_uploads")).Length
            : 0;

    /// <summary>Holds the database itself has open (PostgreSQL; null on SQLite, where the account figures say it).</summary>
    public async Task<long?> OpenHoldsAsync(CancellationToken ct)
    {
        if (_db is null)
        {
            return null;
        }

        await using var command = _db.CreateCommand("SELECT COUNT(*) FROM holds WHERE state = 'held' OR closed_at IS NULL;");
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The nodes whose lease is on the rows <paramref name="sql"/> returns (its one column is a lease owner,
    /// <c>host:pid:guid</c>); empty on SQLite (one node: node 0 does everything).
    /// </summary>
    public async Task<IReadOnlyList<int>> LeaseHoldersAsync(string sql, string? text, CancellationToken ct)
    {
        if (_db is null)
        {
            return [0];
        }

        await using var command = _db.CreateCommand(sql);
        if (text is not null)
        {
            command.Parameters.AddWithValue("text", text);
        }

        var owners = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                if (!reader.IsDBNull(0))
                {
                    owners.Add(reader.GetString(0));
                }
            }
        }

        return [.. owners.Select(NodeOf).Where(n => n >= 0).Distinct()];
    }

    /// <summary>The node whose process id is in a lease owner (<c>host:pid:guid</c>), or -1.</summary>
    public int NodeOf(string owner)
    {
        var parts = owner.Split(':');
        if (parts.Length < 3 || !int.TryParse(parts[^2], CultureInfo.InvariantCulture, out var pid))
        {
            return -1;
        }

        return NodeOfProcess(pid);
    }

    /// <summary>The node running as process <paramref name="pid"/>, or -1.</summary>
    public int NodeOfProcess(int pid)
    {
        for (var i = 0; i < _nodes.Length; i++)
        {
            if (_nodes[i] is { } node && node.ProcessId == pid)
            {
                return i;
            }
        }

        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < _nodes.Length; i++)
        {
            if (_nodes[i] is { } node)
            {
                await node.DisposeAsync();
            }

            // A restart that never became ready leaves its process behind (ServerProcess fails without stopping it).
            CrashRig.KillOrphans($"127.0.0.1:{_ports[i].ToString(CultureInfo.InvariantCulture)}");
            CrashRig.KillOrphans(_dirs[i]);
        }

        _watcher?.Dispose();
        if (_db is not null)
        {
            await _db.DisposeAsync();
            PostgresServer.Instance.DropDatabase(_database!);
        }

        if (_s3 is not null)
        {
            await _s3.DisposeAsync();
        }

        foreach (var dir in _dirs)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static string[] Args(Dictionary<string, string> settings) => [.. settings.Select(s => $"--{s.Key}={s.Value}")];

    [GeneratedRegex("Stored object \"videos/([^/\"]+)/video\\.mp4\"")]
    private static partial Regex StoredVideo();
}

/// <summary>
/// Which node has a request out to a loopback server and no answer yet, as the kernel sees its sockets (<c>ss -tnpi</c>):
/// the connection that sent last and has received nothing since. Used to aim a kill at the node whose poll is in flight,
/// which no table records.
/// </summary>
internal static partial class CrashSockets
{
    public static IReadOnlyList<int> ProcessesAwaitingAnswer(int port)
    {
        var start = new ProcessStartInfo("ss") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-Htnpi", "state", "established", "dst", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}" })
        {
            start.ArgumentList.Add(arg);
        }

        string output;
        try
        {
            using var process = Process.Start(start)!;
            output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return [];
        }

        var waiting = new List<int>();
        int? pid = null;
        foreach (var line in output.Split('\n'))
        {
            if (Pid().Match(line) is { Success: true } owner)
            {
                pid = int.Parse(owner.Groups[1].Value, CultureInfo.InvariantCulture);
                continue;
            }

            var sent = LastSend().Match(line);
            var received = LastReceive().Match(line);
            if (pid is { } p && sent.Success && received.Success
                && int.Parse(sent.Groups[1].Value, CultureInfo.InvariantCulture) is var s && s < 2_000
                && s <= int.Parse(received.Groups[1].Value, CultureInfo.InvariantCulture))
            {
                waiting.Add(p);
            }

            pid = null;
        }

        return [.. waiting.Distinct()];
    }

    [GeneratedRegex(@"pid=(\d+)")]
    private static partial Regex Pid();

    [GeneratedRegex(@"lastsnd:(\d+)")]
    private static partial Regex LastSend();

    [GeneratedRegex(@"lastrcv:(\d+)")]
    private static partial Regex LastReceive();
}
