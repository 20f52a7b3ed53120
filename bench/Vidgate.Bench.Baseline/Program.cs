using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;

// Baselines for bench/run.sh, measured in the same run as the server:
//   GET  /fixed  the bytes of --FixedBodyFile as application/json: what Kestrel alone costs for a poll-sized reply.
//   POST /naive  parse the seed body, then ONE autocommit INSERT on its own (pooled) connection with the server's
//                durability (WAL, synchronous=FULL): one fsync per request, no batching.
//                With --Postgres <connection string> the same INSERT goes to that PostgreSQL database instead
//                (autocommit, synchronous_commit as the cluster has it): one WAL flush per request.
var builder = WebApplication.CreateSlimBuilder(args);
// Quiet, except the "Now listening on" line that run.sh reads the port from (it starts us on port 0).
builder.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);

var fixedBody = builder.Configuration["FixedBodyFile"] is { Length: > 0 } file
    ? await File.ReadAllBytesAsync(file)
    : "{\"ok\":true}"u8.ToArray();
var postgres = builder.Configuration["Postgres"] is { Length: > 0 } pgConnection
    ? NpgsqlDataSource.Create(pgConnection)
    : null;
var connectionString = "";
if (postgres is not null)
{
    // The server's tasks table as its PostgreSQL migration 0001 makes it, so both sides write the same row shape and indexes.
    await using var setup = postgres.CreateCommand("""
        CREATE TABLE IF NOT EXISTS tasks (
            id TEXT COLLATE "C" PRIMARY KEY, account_id TEXT NOT NULL, key_id TEXT NOT NULL, dialect TEXT NOT NULL,
            model TEXT NOT NULL, prompt TEXT NOT NULL, seconds INTEGER NOT NULL, width INTEGER NOT NULL,
            height INTEGER NOT NULL, aspect_ratio TEXT NOT NULL, resolution TEXT NOT NULL, inputs TEXT NOT NULL,
            provider TEXT NOT NULL, status TEXT NOT NULL, progress INTEGER NOT NULL DEFAULT 0,
            attempts INTEGER NOT NULL DEFAULT 0, upstream_id TEXT, lease_owner TEXT, lease_until BIGINT,
            run_after BIGINT NOT NULL, created_at BIGINT NOT NULL, started_at BIGINT, completed_at BIGINT,
            expires_at BIGINT, content_deleted_at BIGINT, error_code TEXT, error_message TEXT, remixed_from_id TEXT
        );
        CREATE INDEX IF NOT EXISTS tasks_queue ON tasks (run_after, id) WHERE status = 'queued';
        CREATE INDEX IF NOT EXISTS tasks_owner ON tasks (account_id, id);
        CREATE INDEX IF NOT EXISTS tasks_leases ON tasks (lease_until) WHERE status = 'processing';
        CREATE INDEX IF NOT EXISTS tasks_expiry ON tasks (expires_at) WHERE status = 'completed' AND content_deleted_at IS NULL;
        """);
    await setup.ExecuteNonQueryAsync();
}
else
{
    var dataDir = builder.Configuration["DataDir"] ?? Path.Combine(Path.GetTempPath(), "vidgate-baseline");
    Directory.CreateDirectory(dataDir);
    connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = Path.Combine(dataDir, "naive.db"),
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    await using (var setup = await OpenAsync(connectionString))
    {
        // The server's tasks table (migration 0001), so both sides write the same row shape and indexes.
        await ExecuteAsync(setup, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS tasks (
                id TEXT PRIMARY KEY, account_id TEXT NOT NULL, key_id TEXT NOT NULL, dialect TEXT NOT NULL,
                model TEXT NOT NULL, prompt TEXT NOT NULL, seconds INTEGER NOT NULL, width INTEGER NOT NULL,
                height INTEGER NOT NULL, aspect_ratio TEXT NOT NULL, resolution TEXT NOT NULL, inputs TEXT NOT NULL,
                provider TEXT NOT NULL, status TEXT NOT NULL, progress INTEGER NOT NULL DEFAULT 0,
                attempts INTEGER NOT NULL DEFAULT 0, upstream_id TEXT, lease_owner TEXT, lease_until INTEGER,
                run_after INTEGER NOT NULL, created_at INTEGER NOT NULL, started_at INTEGER, completed_at INTEGER,
                expires_at INTEGER, content_deleted_at INTEGER, error_code TEXT, error_message TEXT
            ) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS tasks_queue ON tasks (run_after, id) WHERE status = 'queued';
            CREATE INDEX IF NOT EXISTS tasks_owner ON tasks (account_id, id);
            CREATE INDEX IF NOT EXISTS tasks_leases ON tasks (lease_until) WHERE status = 'processing';
            CREATE INDEX IF NOT EXISTS tasks_expiry ON tasks (expires_at) WHERE status = 'completed' AND content_deleted_at IS NULL;
            """);
    }
}

var app = builder.Build();

// run.sh waits for this, as it does for the server's.
app.MapGet("/healthz", () => Results.Text("{\"status\":\"ok\"}", "application/json"));

app.MapGet("/fixed", (HttpContext http) =>
{
    http.Response.ContentType = "application/json";
    http.Response.ContentLength = fixedBody.Length;
    return http.Response.Body.WriteAsync(fixedBody).AsTask();
});

app.MapPost("/naive", async (HttpContext http) =>
{
    using var body = await JsonDocument.ParseAsync(http.Request.Body, default, http.RequestAborted);
    var root = body.RootElement;
    var prompt = root.TryGetProperty("prompt", out var p) ? p.GetString() : null;
    var model = root.TryGetProperty("model", out var m) ? m.GetString() : null;
    if (string.IsNullOrEmpty(prompt) || string.IsNullOrEmpty(model))
    {
        return Results.BadRequest();
    }

    var id = "video_" + Guid.CreateVersion7().ToString("N");
    var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    if (postgres is not null)
    {
        // One autocommit statement on a pooled connection: its own transaction, its own WAL flush.
        await using var pgInsert = postgres.CreateCommand("""
            INSERT INTO tasks (id, account_id, key_id, dialect, model, prompt, seconds, width, height, aspect_ratio,
                               resolution, inputs, provider, status, progress, run_after, created_at)
            VALUES ($1, 'acct_bench', 'key_bench', 'Seed', $2, $3, 8, 1280, 720, '16:9', '720P', '[]',
                    'builtin', 'queued', 0, $4, $4);
            """);
        pgInsert.Parameters.Add(new NpgsqlParameter { Value = id });
        pgInsert.Parameters.Add(new NpgsqlParameter { Value = model });
        pgInsert.Parameters.Add(new NpgsqlParameter { Value = prompt });
        pgInsert.Parameters.Add(new NpgsqlParameter { Value = now });
        await pgInsert.ExecuteNonQueryAsync(http.RequestAborted);
        return Results.Json(new NaiveCreated(id, "video", "queued"), BaselineJson.Default.NaiveCreated);
    }

    await using var connection = await OpenAsync(connectionString);
    await using var insert = connection.CreateCommand();
    insert.CommandText = """
        INSERT INTO tasks (id, account_id, key_id, dialect, model, prompt, seconds, width, height, aspect_ratio,
                           resolution, inputs, provider, status, progress, run_after, created_at)
        VALUES ($id, 'acct_bench', 'key_bench', 'Seed', $model, $prompt, 8, 1280, 720, '16:9', '720P', '[]',
                'builtin', 'queued', 0, $now, $now);
        """;
    insert.Parameters.AddWithValue("$id", id);
    insert.Parameters.AddWithValue("$model", model);
    insert.Parameters.AddWithValue("$prompt", prompt);
    insert.Parameters.AddWithValue("$now", now);
    await insert.ExecuteNonQueryAsync(http.RequestAborted);
    return Results.Json(new NaiveCreated(id, "video", "queued"), BaselineJson.Default.NaiveCreated);
});

app.Run();

static async Task<SqliteConnection> OpenAsync(string connectionString)
{
    var connection = new SqliteConnection(connectionString);
    await connection.OpenAsync();
    // synchronous is per connection; FULL makes each autocommit fsync the WAL, as the server's commits do.
    await ExecuteAsync(connection, "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000;");
    return connection;
}

static async Task ExecuteAsync(SqliteConnection connection, string sql)
{
    await using var command = connection.CreateCommand();
    command.CommandText = sql;
    await command.ExecuteNonQueryAsync();
}

internal sealed record NaiveCreated(string Id, string Object, string Status);

[System.Text.Json.Serialization.JsonSerializable(typeof(NaiveCreated))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class BaselineJson : System.Text.Json.Serialization.JsonSerializerContext;
