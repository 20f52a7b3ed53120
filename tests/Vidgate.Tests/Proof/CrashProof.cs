using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Proof;

/// <summary>
/// Issue 13, "Crash": real server processes, builtin renders and fake-xAI jobs mixed over several accounts, a webhook
/// endpoint per account, and a server SIGKILLed K times at moments aimed by watching what it does (mid-create,
/// mid-submit, mid-poll, mid-download, mid-settle, mid-webhook), restarted on the same data each time. Then: every
/// accepted id is there and ended, no upstream job was made twice, no result was stored twice, each account's ledger is
/// what our own price table says for the seconds each task delivered, no hold is open, every ending was delivered.
/// Run on each engine: SQLite with one node, and PostgreSQL + S3 (s3rver) with two nodes that both answer the API and
/// both work, the client creating and polling through both, one of them killed each time while the other works on.
/// Sizes (each engine): ./vidgate test 60 tasks and 2 kills; ./vidgate proof crash --short 200 and 4; ./vidgate proof
/// crash 1,000 and 10. <c>./vidgate proof crash</c> runs both engines, <c>crash-sqlite</c> / <c>crash-pg</c> one.
/// </summary>
[Trait("Proof", "crash")]
public sealed class CrashProof
{
    private static readonly string[] Phases = ["create", "submit", "poll", "download", "settle", "webhook"];

    // A submit that dies after the upstream made the job but before its id was stored: xAI cannot be asked by our id, so
    // the task fails refunded rather than risk a second job (UpstreamRecoveryTests). Any other failure is a bug here.
    private static readonly HashSet<string> AllowedFailures = new(StringComparer.Ordinal) { "upstream_submit_interrupted" };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Proof", "crash-sqlite")]
    public Task A_server_killed_at_aimed_moments_loses_nothing_makes_nothing_twice_and_keeps_exact_books()
        => TestSeed.RunAsync((rng, seed) => RunAsync(CrashEngine.Sqlite, 1, rng, seed, ProofRun.Pick(60, 200, 1_000), ProofRun.Pick(2, 4, 10)));

    [Fact]
    [Trait("Proof", "crash-pg")]
    public Task On_PostgreSQL_and_S3_one_of_two_nodes_killed_at_aimed_moments_loses_nothing_makes_nothing_twice_and_keeps_exact_books()
        => TestSeed.RunAsync((rng, seed) => RunAsync(CrashEngine.Postgres, 2, rng, seed, ProofRun.Pick(60, 200, 1_000), ProofRun.Pick(2, 4, 10)));

    private static async Task RunAsync(CrashEngine engine, int nodes, Random rng, int seed, int tasks, int kills)
    {
        var clock = Stopwatch.StartNew();
        await using var rig = await CrashRig.StartAsync(Ct);

        // Jobs last 1-2.5 s upstream; every answer takes 150 ms after the fake acted (a submit is recorded, then answered),
        // and a result's body comes 400 ms after its headers: the windows the kills aim at.
        await using var fake = await FakeXaiUpstream.StartAsync(new FakeXaiOptions
        {
            MinJob = TimeSpan.FromSeconds(1),
            MaxJob = TimeSpan.FromSeconds(2.5),
            Latency = TimeSpan.FromMilliseconds(150),
            ResultDelay = TimeSpan.FromMilliseconds(400),
            Random = new Random(rng.Next()),
        }, ct: Ct);
        await using var cluster = await CrashCluster.CreateAsync(engine, nodes, Settings());
        await cluster.StartAsync(0);

        // Runtime data lives in the database: prices, tiers, accounts, keys, the upstream and its route are made on node
        // 0 before the others start (they load them at start).
        using var admin = rig.Client(cluster.Address(0), VidgateApp.AdminKey);
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new
        {
            id = "xai",
            type = "xai",
            base_url = fake.BaseUrl.ToString(),
            api_keys = new[] { fake.Options.ApiKey },
            request_timeout_seconds = 30, // a slow answer on a loaded machine must not look like a lost submit
        }, Ct));
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/routes", new { model = CrashRig.RoutedModel, provider = "xai" }, Ct));
        var accounts = await rig.SetUpAsync(admin, 3, Ct);
        for (var n = 1; n < nodes; n++)
        {
            await cluster.StartAsync(n);
        }

        // Each account's client talks to every node: creates alternate between them (and move to the next on a
        // connection failure), polls take turns.
        var users = accounts.Select(a => Enumerable.Range(0, nodes).Select(n => rig.Client(cluster.Address(n), a.Key, n)).ToList()).ToList();
        try
        {
            var plans = Enumerable.Range(0, tasks).Select(i => new CrashPlan(
                i, i % accounts.Count, rng.Next(2) == 0 ? CrashRig.BuiltinModel : CrashRig.RoutedModel, 1 + rng.Next(2),
                $"crash proof {seed} task {i}, a slow pan over a harbour")).ToList();
            var order = Phases.OrderBy(_ => rng.Next()).ToList();
            var phases = Enumerable.Range(0, kills).Select(k => order[k % order.Count]).OrderBy(p => p == "create" ? 0 : 1).ToList();
            var pauses = phases.Select(_ => TimeSpan.FromMilliseconds(rng.Next(300, 1500))).ToList();

            // The client: 4 creates at a time, each retried with its Idempotency-Key until a node answers.
            using var gate = new SemaphoreSlim(4);
            var creating = Task.WhenAll(plans.Select(async plan =>
            {
                await gate.WaitAsync(Ct);
                try
                {
                    await CrashRig.CreateAsync(plan, seed, users[plan.Account], Ct);
                }
                finally
                {
                    gate.Release();
                }
            }));

            // The kills, each aimed by watching the servers' work from outside, at the node doing it.
            var killLog = new List<(string Phase, bool Aimed, int Node, double At, int Accepted, double Restart)>();
            for (var k = 0; k < phases.Count; k++)
            {
                await Task.Delay(pauses[k], Ct);
                var phase = phases[k];
                var (aimed, victim) = await AimAsync(phase, cluster, fake, rig, rng);
                var at = clock.Elapsed.TotalSeconds;
                await cluster.KillAsync(victim);
                var accepted = plans.Count(p => p.Id is not null);
                var restart = Stopwatch.StartNew();
                await cluster.RestartAsync(victim);
                killLog.Add((phase, aimed, victim, at, accepted, restart.Elapsed.TotalSeconds));
            }

            await creating;

            // Every accepted id ends (polled through every node in turn; the last servers stay up).
            var ended = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            var waited = Stopwatch.StartNew();
            var turn = 0;
            var last = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            while (ended.Count < plans.Count)
            {
                if (waited.Elapsed > TimeSpan.FromSeconds(ProofRun.Pick(150, 300, 900)))
                {
                    Assert.Fail(Stuck(plans.Where(p => !ended.ContainsKey(p.Id!)).ToList(), last, cluster, killLog.Select(k => k.At)));
                }

                foreach (var plan in plans.Where(p => !ended.ContainsKey(p.Id!)))
                {
                    var video = await CrashRig.ReadAsync(users[plan.Account], $"/v1/videos/{plan.Id}", turn++, Ct);
                    last[plan.Id!] = video;
                    if (video.GetProperty("status").GetString() is "completed" or "failed" or "cancelled")
                    {
                        ended[plan.Id!] = video;
                    }
                }

                await Task.Delay(250, Ct);
            }

            var report = new StringBuilder();
            var failures = new List<string>();

            // 0 accepted tasks lost: N distinct ids, each answered by the server and ended.
            var distinct = plans.Select(p => p.Id!).Distinct(StringComparer.Ordinal).Count();
            Check(failures, distinct == tasks, $"{tasks} creates gave {distinct} distinct ids");
            var statuses = ended.Values.GroupBy(v => v.GetProperty("status").GetString() + (v.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object ? " " + e.GetProperty("code").GetString() : ""))
                .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            foreach (var (status, _) in statuses.Where(s => s.Key != "completed"))
            {
                Check(failures, status.StartsWith("failed ", StringComparison.Ordinal) && AllowedFailures.Contains(status[7..]), $"tasks ended {status}");
            }

            // 0 upstream jobs made twice: the fake's jobs by prompt (each prompt is one task's).
            var made = fake.Requests.Values.GroupBy(b => b.GetProperty("prompt").GetString()!, StringComparer.Ordinal).ToList();
            var twice = made.Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Check(failures, twice.Count == 0, $"upstream jobs made twice: {string.Join("; ", twice)}");
            var routedCompleted = plans.Count(p => p.Model == CrashRig.RoutedModel && ended[p.Id!].GetProperty("status").GetString() == "completed");

            // Jobs the upstream made (and bills) for tasks a kill then failed: the price of failing rather than resubmitting.
            var madePrompts = made.Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
            var orphaned = plans.Count(p => madePrompts.Contains(p.Prompt) && ended[p.Id!].GetProperty("status").GetString() != "completed");

            // 0 results stored twice: stores of each video seen by the storage (file events on disk, or s3rver's own log of
            // each object it stored), and completion log lines of every node, at most one per task.
            var completions = string.Join('\n', cluster.Outputs()).Split('\n')
                .Select(l => l.IndexOf("Task ", StringComparison.Ordinal) is var i and >= 0 && l.Contains(" completed on ", StringComparison.Ordinal) ? l[(i + 5)..].Split(' ')[0] : null)
                .Where(id => id is not null).GroupBy(id => id!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            var stores = cluster.VideoStores();
            var storedTwice = stores.Where(w => w.Value > 1).Select(w => w.Key).Concat(completions.Where(c => c.Value > 1).Select(c => c.Key)).Distinct(StringComparer.Ordinal).ToList();
            Check(failures, storedTwice.Count == 0, $"results stored twice: {string.Join(", ", storedTwice)}");
            foreach (var plan in plans)
            {
                var video = cluster.HasVideo(plan.Id!);
                var completed = ended[plan.Id!].GetProperty("status").GetString() == "completed";
                Check(failures, video == completed, $"task {plan.Id} is {(completed ? "completed without" : "not completed but has")} a stored video");
            }

            var partial = cluster.Leftovers();
            Check(failures, partial == 0, engine == CrashEngine.Sqlite ? $"{partial} partial blob files left" : $"{partial} result files on the nodes' own disks");

            // The books, per account: our price × delivered seconds × the tier, for each completed task; nothing else.
            report.AppendLine("| account | tier × | tasks | completed | expected charges | ledger charges | balance (expected / server) | held | in flight |");
            report.AppendLine("|---|---|---|---|---|---|---|---|---|");
            var holdsOpen = 0L;
            foreach (var (account, a) in accounts.Select((a, i) => (a, i)))
            {
                var mine = plans.Where(p => p.Account == a).ToList();
                var expected = mine.Where(p => ended[p.Id!].GetProperty("status").GetString() == "completed")
                    .ToDictionary(p => p.Id!, p => CrashRig.Charge(p.Model, CrashRig.Seconds(ended[p.Id!]), account.Multiplier), StringComparer.Ordinal);
                var ledger = await CrashRig.LedgerAsync(admin, account.Id, Ct);
                var charges = ledger.Where(e => e.Kind == "charge").ToList();
                var byTask = charges.GroupBy(e => e.TaskId ?? "", StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
                foreach (var (id, amount) in expected)
                {
                    Check(failures, byTask.TryGetValue(id, out var c) && c.Count == 1 && c[0].Amount == -amount,
                        $"task {id}: charged {(byTask.TryGetValue(id, out var got) ? string.Join(",", got.Select(x => x.Amount)) : "nothing")}, expected {-amount}");
                }

                Check(failures, byTask.Keys.All(expected.ContainsKey), $"account {account.Id}: charges for tasks that did not complete");
                var state = await Api.OkJsonAsync(await admin.GetAsync($"/admin/accounts/{account.Id}", Ct));
                var balance = state.GetProperty("balance_micros").GetInt64();
                var wanted = account.TopUp - expected.Values.Sum();
                var held = state.GetProperty("held_micros").GetInt64();
                var inFlight = state.GetProperty("in_flight").GetInt32();
                holdsOpen += held + inFlight;
                Check(failures, balance == wanted && state.GetProperty("ledger_balance_micros").GetInt64() == wanted && held == 0 && inFlight == 0,
                    $"account {account.Id}: balance {balance}, expected {wanted}; held {held}; in flight {inFlight}");
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"| {a} | {account.Multiplier} | {mine.Count} | {expected.Count} | {expected.Values.Sum()} | {-charges.Sum(c => c.Amount)} | {wanted} / {balance} | {held} | {inFlight} |");
            }

            // The database's own view of the holds (PostgreSQL): none open.
            var dbHolds = await cluster.OpenHoldsAsync(Ct);
            Check(failures, dbHolds is null or 0, $"{dbHolds} holds open in the database");

            // Every ending reached the account's webhook endpoint (at least once; duplicates are allowed and counted).
            var hooksWaited = Stopwatch.StartNew();
            List<string> undelivered;
            while ((undelivered = plans.Select(p => p.Id!).Where(id => !rig.Deliveries.Any(d => d.TaskId == id && d.Type != "video.progress")).ToList()).Count > 0
                   && hooksWaited.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(250, Ct);
            }

            Check(failures, undelivered.Count == 0, $"{undelivered.Count} endings never delivered, e.g. {undelivered.FirstOrDefault()}");
            var duplicateDeliveries = rig.Deliveries.Count - rig.Deliveries.Select(d => d.EventId).Distinct(StringComparer.Ordinal).Count();
            Check(failures, rig.ServerErrors.Count == 0, "5xx answers: " + string.Join(" | ", rig.ServerErrors.Take(5)));

            var header = new StringBuilder();
            header.AppendLine(CultureInfo.InvariantCulture, $"{cluster.Name}, seed {seed}: {tasks} tasks ({plans.Count(p => p.Model == CrashRig.BuiltinModel)} builtin renders, {plans.Count(p => p.Model == CrashRig.RoutedModel)} fake-xAI jobs), {accounts.Count} accounts, {phases.Count} SIGKILLs, {clock.Elapsed.TotalSeconds:0} s in all.");
            header.AppendLine();
            header.AppendLine("| kill | aimed at | hit the moment | node killed | at (s) | tasks accepted by then | restart to ready (s) |");
            header.AppendLine("|---|---|---|---|---|---|---|");
            foreach (var (kill, i) in killLog.Select((k, i) => (k, i)))
            {
                header.AppendLine(CultureInfo.InvariantCulture, $"| {i + 1} | {kill.Phase} | {(kill.Aimed ? "yes" : "no (not seen in 15 s; killed anyway)")} | {kill.Node + 1} | {kill.At:0.0} | {kill.Accepted} | {kill.Restart:0.0} |");
            }

            header.AppendLine();
            header.AppendLine("| figure | value |");
            header.AppendLine("|---|---|");
            header.AppendLine(CultureInfo.InvariantCulture, $"| accepted ids (distinct) | {distinct} of {tasks} |");
            header.AppendLine(CultureInfo.InvariantCulture, $"| accepted tasks lost | {tasks - ended.Count} |");
            header.AppendLine(CultureInfo.InvariantCulture, $"| ended | {string.Join(", ", statuses.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Value} {s.Key}"))} |");
            header.AppendLine(CultureInfo.InvariantCulture, $"| upstream submits received / jobs made / made twice | {fake.Submits} / {fake.Accepted} / {twice.Count} |");
            header.AppendLine(CultureInfo.InvariantCulture, $"| fake-xAI tasks completed (one job each) | {routedCompleted} |");
            header.AppendLine(CultureInfo.InvariantCulture, $"| upstream jobs made for tasks a kill failed (billed upstream, refunded to the user) | {orphaned} |");
            if (engine == CrashEngine.Sqlite)
            {
                header.AppendLine(CultureInfo.InvariantCulture, $"| video blob writes seen (inotify may miss one; never doubles one) / results stored twice | {stores.Values.Sum()} / {storedTwice.Count} |");
                header.AppendLine(CultureInfo.InvariantCulture, $"| partial blob files left | {partial} |");
            }
            else
            {
                header.AppendLine(CultureInfo.InvariantCulture, $"| videos stored in the bucket (s3rver's log) / results stored twice | {stores.Values.Sum()} / {storedTwice.Count} |");
                header.AppendLine(CultureInfo.InvariantCulture, $"| result files on the nodes' own disks / multipart uploads left incomplete | {partial} / {cluster.IncompleteUploads()} |");
            }

            header.AppendLine(CultureInfo.InvariantCulture, $"| holds left open (held + in flight, all accounts) | {holdsOpen}{(dbHolds is { } h ? $" (database: {h})" : "")} |");
            header.AppendLine(CultureInfo.InvariantCulture, $"| webhook deliveries / endings undelivered / repeats (at least once) | {rig.Deliveries.Count} / {undelivered.Count} / {duplicateDeliveries} |");
            header.AppendLine(CultureInfo.InvariantCulture, $"| 5xx answers seen by clients | {rig.ServerErrors.Count} |");
            header.AppendLine();
            ProofRun.Report(cluster.Part, header.ToString() + report);
            Assert.True(failures.Count == 0, string.Join('\n', failures.Take(20)));
        }
        finally
        {
            foreach (var client in users.SelectMany(u => u))
            {
                client.Dispose();
            }
        }
    }

    /// <summary>
    /// Waits for the moment <paramref name="phase"/> names, seen from outside, and says which node is in it: the one the
    /// client's creates are on; the one holding the lease of the task whose job the fake just made (submit), of a task
    /// being finished (download) or of a webhook delivery; the one that just logged a completion (settle); the one with a
    /// request to the upstream awaiting its answer right after a poll arrived (no table records who polls). False (and a
    /// node drawn at random) when the moment did not come in 15 s.
    /// </summary>
    private static async Task<(bool Hit, int Node)> AimAsync(string phase, CrashCluster cluster, FakeXaiUpstream fake, CrashRig rig, Random rng)
    {
        var nodes = Enumerable.Range(0, cluster.Count).ToList();
        var completions = nodes.Select(n => CountCompletions(cluster.Node(n).Output)).ToList();
        var jobs = fake.Requests.Keys.ToHashSet(StringComparer.Ordinal);
        var (submits, polls, downloads) = (fake.Accepted, fake.Polls, fake.Downloads);
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(15))
        {
            IReadOnlyList<int> doing = phase switch
            {
                "create" => [.. nodes.Where(n => rig.CreatesInFlight(n) > 0)],
                "submit" when fake.Accepted > submits && fake.Requests.FirstOrDefault(r => !jobs.Contains(r.Key)) is { Key: not null } made
                    => await cluster.LeaseHoldersAsync("SELECT lease_owner FROM tasks WHERE prompt = @text;", made.Value.GetProperty("prompt").GetString(), Ct),
                "poll" when fake.Polls > polls => cluster.Count == 1 ? [0]
                    : [.. CrashSockets.ProcessesAwaitingAnswer(fake.BaseUrl.Port).Select(cluster.NodeOfProcess).Where(n => n >= 0)],
                "download" when fake.Downloads > downloads => await cluster.LeaseHoldersAsync(
                    "SELECT lease_owner FROM tasks WHERE status = 'processing' AND upstream_id IS NOT NULL;", null, Ct),
                "settle" => [.. nodes.Where(n => CountCompletions(cluster.Node(n).Output) > completions[n])],
                "webhook" when rig.HooksInFlight > 0 => await cluster.LeaseHoldersAsync(
                    "SELECT lease_owner FROM webhook_deliveries WHERE status = 'pending';", null, Ct),
                _ => [],
            };
            if (doing.Count > 0)
            {
                return (true, Draw(doing, rng));
            }

            await Task.Delay(5, Ct);
        }

        return (false, Draw(nodes, rng));
    }

    // One candidate draws nothing, so a one-node run consumes the seeded sequence as it always did (seeds replay).
    private static int Draw(IReadOnlyList<int> candidates, Random rng) => candidates.Count == 1 ? candidates[0] : candidates[rng.Next(candidates.Count)];

    /// <summary>What a failed wait says: the tasks that never ended, as the server last showed them and as its logs name them.</summary>
    private static string Stuck(List<CrashPlan> stuck, Dictionary<string, JsonElement> last, CrashCluster cluster, IEnumerable<double> kills)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{stuck.Count} accepted tasks never ended (kills at {string.Join(", ", kills.Select(k => k.ToString("0.0", CultureInfo.InvariantCulture)))} s)");
        foreach (var plan in stuck.Take(3))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n{plan.Id} ({plan.Model}): {(last.TryGetValue(plan.Id!, out var v) ? v.ToString() : "never read")}");
            foreach (var line in cluster.Outputs().SelectMany(o => o.Split('\n')).Where(l => l.Contains(plan.Id!, StringComparison.Ordinal)).Take(20))
            {
                text.Append("\n  ").Append(line.Length > 400 ? line[..400] : line);
            }
        }

        return text.ToString();
    }

    private static int CountCompletions(string output)
    {
        var count = 0;
        for (var i = output.IndexOf(" completed on ", StringComparison.Ordinal); i >= 0; i = output.IndexOf(" completed on ", i + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static void Check(List<string> failures, bool ok, string failure)
    {
        if (!ok)
        {
            failures.Add(failure);
        }
    }

    /// <summary>Every node's settings: short leases and retries so a kill's effects play out within the proof.</summary>
    private static Dictionary<string, string> Settings()
    {
        var settings = new Dictionary<string, string>
        {
            ["Vidgate:LeaseDuration"] = "00:00:03",
            ["Vidgate:SweepInterval"] = "00:00:01",
            ["Vidgate:ProgressInterval"] = "00:00:00.200",
            ["Vidgate:Fetch:Allow:0"] = "127.0.0.0/8",
            ["Vidgate:Upstreams:MinPollInterval"] = "00:00:00.300",
            ["Vidgate:Upstreams:MaxPollInterval"] = "00:00:01",
            ["Vidgate:Upstreams:MaxBlindPollInterval"] = "00:00:01",
            ["Vidgate:Upstreams:RetryDelay"] = "00:00:01",
            ["Vidgate:Upstreams:PollLease"] = "00:00:03",
            ["Vidgate:Webhooks:RetrySchedule:0"] = "00:00:01",
            ["Vidgate:Webhooks:RetrySchedule:1"] = "00:00:02",
            ["Vidgate:Webhooks:RetrySchedule:2"] = "00:00:05",

            // A delivery in flight when the server dies is sent again once its lease lapses (default 5 min, see
            // docs/reliability.md): shortened so the proof sees it within its wait.
            ["Vidgate:Webhooks:Timeout"] = "00:00:05",
            ["Vidgate:Webhooks:Lease"] = "00:00:08",
            ["Providers:Builtin:Preset"] = "ultrafast",
            ["Providers:Builtin:Concurrency"] = "2",
        };
        return settings;
    }
}
