using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Vidgate.Server.Data.Postgres;

namespace Vidgate.Tests.Support;

/// <summary>
/// One throwaway PostgreSQL cluster for the whole test run, from Debian's <c>postgresql</c> package (installed by
/// <c>./vidgate test</c>): started lazily on first use (<c>initdb</c> into a temp folder, <c>pg_ctl</c> on a free loopback
/// port, trust authentication, its socket in that folder), stopped and removed when the test process exits. PostgreSQL
/// refuses to run as root, so under root it runs as the <c>postgres</c> user (via <c>runuser</c>); any other user runs it
/// directly. Each test gets a database of its own (<see cref="CreateDatabase"/>), copied from a template that the real
/// migrations built once. Missing software fails saying what to install: nothing CI needs may skip.
/// </summary>
public sealed class PostgresServer
{
    private const string Template = "vidgate_template";

    private static readonly Lazy<PostgresServer> Shared = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string[] _runAs;
    private readonly string _bin;
    private readonly string _directory;
    private int _databases;

    private PostgresServer(string[] runAs, string bin, string directory, int port)
        => (_runAs, _bin, _directory, Port) = (runAs, bin, directory, port);

    /// <summary>The run's cluster, started on first use.</summary>
    public static PostgresServer Instance => Shared.Value;

    public int Port { get; }

    /// <summary>
    /// A connection string for <paramref name="database"/>. Small pools: many tests run at once against one cluster,
    /// and a test's bursts wait for a connection rather than exhaust the server's.
    /// </summary>
    public string ConnectionString(string database, int maxPoolSize = 20)
        => $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Maximum Pool Size={maxPoolSize};Timeout=30;Command Timeout=60";

    /// <summary>A new, migrated database of its own (a copy of the template), named after <paramref name="prefix"/>.</summary>
    public string CreateDatabase(string prefix = "t")
    {
        var name = $"{prefix}_{Interlocked.Increment(ref _databases)}";
        Admin($"CREATE DATABASE {name} TEMPLATE {Template};");
        return name;
    }

    /// <summary>A new, empty database (no migrations applied), for tests of the migrations themselves.</summary>
    public string CreateEmptyDatabase()
    {
        var name = $"empty_{Interlocked.Increment(ref _databases)}";
        Admin($"CREATE DATABASE {name};");
        return name;
    }

    /// <summary>Drops a database made by <see cref="CreateDatabase"/>, closing whatever is still connected to it.</summary>
    public void DropDatabase(string name) => Admin($"DROP DATABASE IF EXISTS {name} WITH (FORCE);");

    private void Admin(string sql)
    {
        using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    private static PostgresServer Start()
    {
        var bin = FindBinaries();
        string[] runAs = [];
        if (Environment.IsPrivilegedProcess)
        {
            if (Run([], "id", "-u", "postgres").Code != 0)
            {
                throw new InvalidOperationException(
                    "PostgreSQL refuses to run as root and there is no 'postgres' user to run it as: apt-get install postgresql (./vidgate test does), or run the tests as another user.");
            }

            runAs = ["runuser", "-u", "postgres", "--"];
        }

        // Made by the user the server runs as, so it owns it; /tmp because a root-only TMPDIR would not do for it.
        var parent = runAs.Length > 0 ? "/tmp" : Path.GetTempPath();
        RemoveAbandoned(runAs, bin, parent);
        var directory = Check(Run(runAs, "mktemp", "-d", Path.Combine(parent, "vidgate-pg-XXXXXX")), "mktemp").Trim();
        File.WriteAllText(Path.Combine(directory, "owner"), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var data = Path.Combine(directory, "data");
        Check(Run(runAs, Path.Combine(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"), "initdb");

        var port = FreePort();
        var options = $"-c listen_addresses=127.0.0.1 -p {port} -k {directory} -c max_connections=300 -c fsync=off -c full_page_writes=off";
        Check(Run(runAs, Path.Combine(bin, "pg_ctl"), "-D", data, "-l", Path.Combine(directory, "log"), "-w", "-t", "60", "-o", options, "start"), "pg_ctl start");
        var server = new PostgresServer(runAs, bin, directory, port);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();

        // The template: the real migrations, applied once; every test's database is a copy of it.
        server.Admin($"CREATE DATABASE {Template};");
        using (var db = PostgresDatabase.Create(server.ConnectionString(Template) + ";Pooling=false", NullLogger.Instance))
        {
            db.MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        return server;
    }

    private void Stop()
    {
        Run(_runAs, Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop");
        Run(_runAs, "rm", "-rf", _directory);
    }

    /// <summary>
    /// Clusters left by test runs that were killed (their exit handler never ran): their owner process is gone, so they
    /// are stopped and removed. Clusters of runs still alive (another worktree's, say) are left alone.
    /// </summary>
    private static void RemoveAbandoned(string[] runAs, string bin, string parent)
    {
        foreach (var dir in Directory.GetDirectories(parent, "vidgate-pg-*"))
        {
            try
            {
                var owner = int.Parse(File.ReadAllText(Path.Combine(dir, "owner")), System.Globalization.CultureInfo.InvariantCulture);
                if (Directory.Exists($"/proc/{owner}"))
                {
                    continue;
                }
            }
            catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
            {
                // No owner written yet (a run starting right now) or not ours to read: leave it.
                continue;
            }

            Run(runAs, Path.Combine(bin, "pg_ctl"), "-D", Path.Combine(dir, "data"), "-m", "immediate", "-w", "stop");
            Run(runAs, "rm", "-rf", dir);
        }
    }

    /// <summary>Debian keeps the server's programs off PATH, under /usr/lib/postgresql/&lt;version&gt;/bin; the newest wins.</summary>
    private static string FindBinaries()
    {
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(dir => (Dir: Path.Combine(dir, "bin"), Version: int.TryParse(Path.GetFileName(dir), out var v) ? v : 0))
                .OrderByDescending(c => c.Version)
                .Select(c => c.Dir)
            : [];
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        return candidates.Concat(path).FirstOrDefault(dir => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            ?? throw new InvalidOperationException(
                "PostgreSQL server programs (initdb, pg_ctl) were not found under /usr/lib/postgresql/*/bin or on PATH: apt-get install postgresql (./vidgate test does).");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Check((int Code, string Output) result, string what)
        => result.Code == 0 ? result.Output : throw new InvalidOperationException($"{what} failed ({result.Code}): {result.Output}");

    private static (int Code, string Output) Run(string[] prefix, string program, params string[] args)
    {
        var all = prefix.Concat([program]).Concat(args).ToArray();
        var start = new ProcessStartInfo(all[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var arg in all.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            return (process.ExitCode, stdout.Result + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, $"{all[0]} could not be started: {ex.Message}");
        }
    }
}
