using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Vidgate.Server.Data.Sqlite;
using Vidgate.Server.Tasks;

namespace Vidgate.Tests.Workers;

/// <summary>
/// The claims the submit step's lanes make: a local lane takes only its own provider's tasks; the remote lane takes
/// every other task (whichever instance it was planned for, and tasks queued before the one pipeline, whose provider
/// reads <c>upstream</c>) and never a local one, so a render never runs inside a remote-lane loop.
/// </summary>
public sealed class SubmitLaneTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-06-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly string[] Local = ["builtin"];
    private readonly string _dir = Directory.CreateTempSubdirectory("vidgate-lanes-").FullName;
    private readonly SqliteDatabase _db;
    private readonly SqliteTaskStore _store;
    private readonly SqliteUpstreamJobStore _jobs;

    public SubmitLaneTests()
    {
        _db = new SqliteDatabase(Options.Create(new VidgateOptions { DataDir = _dir }), NullLogger<SqliteDatabase>.Instance);
        _store = new SqliteTaskStore(_db);
        _jobs = new SqliteUpstreamJobStore(_db);
    }

    public void Dispose()
    {
        _db.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_remote_lane_takes_every_task_but_the_local_ones_and_the_local_lane_only_its_own()
    {
        var local = await InsertAsync("builtin");
        var planned = await InsertAsync("xai-main");
        var legacy = await InsertAsync("upstream");

        Assert.True(await _jobs.AnyQueuedAsync(Local, Now, Ct));
        Assert.Equal(planned, (await _store.TryClaimExceptAsync(Local, "n", Now, Now.AddSeconds(30), Ct))?.Id);
        Assert.Equal(legacy, (await _store.TryClaimExceptAsync(Local, "n", Now, Now.AddSeconds(30), Ct))?.Id);
        Assert.Null(await _store.TryClaimExceptAsync(Local, "n", Now, Now.AddSeconds(30), Ct));
        Assert.False(await _jobs.AnyQueuedAsync(Local, Now, Ct));

        Assert.Equal(local, (await _store.TryClaimAsync(Local, "n", Now, Now.AddSeconds(30), Ct))?.Id);
    }

    private async Task<string> InsertAsync(string provider)
    {
        var task = new VideoTask
        {
            Id = VideoTask.NewId(),
            AccountId = "acct_a",
            KeyId = "key_a",
            Dialect = Dialect.Seed,
            Model = "grok-imagine-video",
            Prompt = "p",
            Seconds = 6,
            Width = 1280,
            Height = 720,
            AspectRatio = "16:9",
            Resolution = "720P",
            Provider = provider,
            CreatedAt = Now,
            InputKeys = [],
        };
        await _store.InsertAsync(task, Ct);
        return task.Id;
    }
}
