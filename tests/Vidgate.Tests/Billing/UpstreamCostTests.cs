using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Vidgate.Tests.Providers;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Billing;

/// <summary>
/// What each video cost upstream (xAI's <c>usage.cost_in_usd_ticks</c>), end to end through the fake xAI: recorded when
/// the upstream says done, summed exactly per usage group in <c>/admin/usage</c> (JSON and CSV), never shown to users.
/// </summary>
[Collection(UpstreamCollection.Name)]
public sealed class UpstreamCostTests
{
    private const string UserCsvHeader =
        "account_id,key_id,model,day,tasks,completed,failed,cancelled,other,in_flight,seconds_generated,charged_micros,refunded_micros,held_micros";

    private static readonly string[] UserFields =
    [
        "account_id", "key_id", "model", "day", "tasks", "completed", "failed", "cancelled", "other", "in_flight",
        "seconds_generated", "charged_micros", "refunded_micros", "held_micros",
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object Body(string prompt, int seconds) => new { model = "grok-imagine-video", prompt, seconds = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), aspect_ratio = "16:9", resolution = "480P" };

    private static async Task<string> RunAsync(HttpClient user, string prompt, int seconds, string status)
    {
        var id = (await user.CreateAsync(Body(prompt, seconds))).GetProperty("id").GetString()!;
        var video = await user.WaitForAsync(id, status, TimeSpan.FromSeconds(30));
        Assert.Equal(status, video.GetProperty("status").GetString());
        return id;
    }

    private static async Task<JsonElement> AdminRowAsync(VidgateApp app, string account)
    {
        using var admin = app.Admin();
        var report = await Api.OkJsonAsync(await admin.GetAsync($"/admin/usage?account_id={account}", Ct));
        return report.GetProperty("data").EnumerateArray().Single();
    }

    private static async Task<string[]> AdminCsvAsync(VidgateApp app, string account)
    {
        using var admin = app.Admin();
        var response = await admin.GetAsync($"/admin/usage?account_id={account}&format=csv", Ct);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadAsStringAsync(Ct)).TrimEnd('\n').Split('\n');
    }

    [Fact]
    public async Task Operators_see_the_exact_summed_upstream_cost_and_users_never_do()
    {
        await using var h = await XaiHarness.StartAsync();
        h.Fake.Options.MinJob = h.Fake.Options.MaxJob = TimeSpan.FromSeconds(0.3);
        h.Fake.Options.CostTicksPerSecond = 123_456_789;
        var (key, account) = await h.App.NewKeyAsync("margin");
        await h.App.TopUpAsync(account, 100_000_000);
        using var user = h.App.Client(key);

        await RunAsync(user, "a harbour at dawn", 2, "completed");
        await RunAsync(user, "a harbour at noon", 4, "completed");
        await RunAsync(user, "a harbour at dusk [fake:failed]", 2, "failed");

        // JSON: the users' fields first, unchanged, then the upstream cost of the two completed videos ((2 + 4) s × 123456789
        // ticks = 740740734 ticks = $0.0740740734); the failed one reported none and is not counted.
        var row = await AdminRowAsync(h.App, account);
        Assert.Equal([.. UserFields, "upstream_cost_usd", "upstream_cost_tasks"], row.EnumerateObject().Select(p => p.Name));
        Assert.Equal((3, 2, 1, 6L, 300_000L), (row.GetProperty("tasks").GetInt32(), row.GetProperty("completed").GetInt32(),
            row.GetProperty("failed").GetInt32(), row.GetProperty("seconds_generated").GetInt64(), row.GetProperty("charged_micros").GetInt64()));
        Assert.Equal(JsonValueKind.String, row.GetProperty("upstream_cost_usd").ValueKind);
        Assert.Equal("0.0740740734", row.GetProperty("upstream_cost_usd").GetString());
        Assert.Equal(2, row.GetProperty("upstream_cost_tasks").GetInt32());

        // CSV: the same, as two columns appended after the users' ones.
        var csv = await AdminCsvAsync(h.App, account);
        Assert.Equal(UserCsvHeader + ",upstream_cost_usd,upstream_cost_tasks", csv[0]);
        Assert.Equal(2, csv.Length);
        var cells = csv[1].Split(',');
        Assert.Equal(16, cells.Length);
        Assert.Equal((account, "3", "2", "1", "300000"), (cells[0], cells[4], cells[5], cells[6], cells[11]));
        Assert.Equal(("0.0740740734", "2"), (cells[14], cells[15]));

        // Users: their own usage, as before, without a trace of what we paid.
        var own = await Api.OkJsonAsync(await user.GetAsync("/v1/usage", Ct));
        var ownRow = own.GetProperty("data").EnumerateArray().Single();
        Assert.Equal(UserFields, ownRow.EnumerateObject().Select(p => p.Name));
        Assert.Equal(300_000L, ownRow.GetProperty("charged_micros").GetInt64());
        Assert.DoesNotContain("upstream", own.GetRawText(), StringComparison.OrdinalIgnoreCase);
        var ownCsv = await (await user.GetAsync("/v1/usage?format=csv", Ct)).Content.ReadAsStringAsync(Ct);
        Assert.StartsWith(UserCsvHeader + "\n", ownCsv, StringComparison.Ordinal);
        Assert.DoesNotContain("upstream", ownCsv, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("740740734", ownCsv, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sums_past_a_64_bit_integer_stay_exact_and_a_malformed_cost_only_goes_uncounted()
    {
        await using var h = await XaiHarness.StartAsync();
        h.Fake.Options.MinJob = h.Fake.Options.MaxJob = TimeSpan.FromSeconds(0.3);
        var (bigKey, big) = await h.App.NewKeyAsync("big");
        var (oddKey, odd) = await h.App.NewKeyAsync("odd");
        using var bigUser = h.App.Client(bigKey);
        using var oddUser = h.App.Client(oddKey);

        // Each task 8,000,000,000,000,000,002 ticks: two of them are more than a long holds.
        h.Fake.Options.CostTicksPerSecond = 4_000_000_000_000_000_001;
        await RunAsync(bigUser, "an expensive sunrise", 2, "completed");
        await RunAsync(bigUser, "an expensive sunset", 2, "completed");
        var bigRow = await AdminRowAsync(h.App, big);
        Assert.Equal(("1600000000.0000000004", 2), (bigRow.GetProperty("upstream_cost_usd").GetString(), bigRow.GetProperty("upstream_cost_tasks").GetInt32()));
        Assert.EndsWith(",1600000000.0000000004,2", (await AdminCsvAsync(h.App, big))[1], StringComparison.Ordinal);

        // A cost the upstream wrote badly: the video is delivered and charged as usual, the cost is simply unknown.
        h.Fake.Options.UsageJson = """{"cost_in_usd_ticks":"a lot"}""";
        await RunAsync(oddUser, "a strangely priced tide", 2, "completed");
        var oddRow = await AdminRowAsync(h.App, odd);
        Assert.Equal((1, 100_000L), (oddRow.GetProperty("completed").GetInt32(), oddRow.GetProperty("charged_micros").GetInt64()));
        Assert.Equal(("0.0000000000", 0), (oddRow.GetProperty("upstream_cost_usd").GetString(), oddRow.GetProperty("upstream_cost_tasks").GetInt32()));
    }

    [Fact]
    public async Task Migration_0006_upgrades_a_database_of_the_previous_version_keeping_its_usage()
    {
        var dataDir = Directory.CreateTempSubdirectory("vidgate-upstream-cost-").FullName;
        try
        {
            string account, key;
            await using (var before = await XaiHarness.StartAsync(dataDir: dataDir))
            {
                before.Fake.Options.MinJob = before.Fake.Options.MaxJob = TimeSpan.FromSeconds(0.3);
                (key, account) = await before.App.NewKeyAsync("upgrader");
                using var user = before.App.Client(key);
                await RunAsync(user, "made before the upgrade", 2, "completed");
            }

            // Turn the database back into what the previous version (migrations up to 0005) left: no cost columns, no 0006.
            // The daily usage rollup (0012) reads the cost column, so it goes first; the restart applies 0006, then 0012.
            await using (var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "vidgate.db")};Pooling=False"))
            {
                await connection.OpenAsync(Ct);
                await using var command = connection.CreateCommand();
                command.CommandText = """
                    DROP TRIGGER holds_usage_insert;
                    DROP TRIGGER holds_usage_update;
                    DROP TRIGGER holds_usage_delete;
                    DROP TRIGGER holds_group_fixed;
                    DROP TABLE usage_daily;
                    DELETE FROM schema_version WHERE version = 12;
                    ALTER TABLE upstream_jobs DROP COLUMN cost_usd_ticks;
                    ALTER TABLE holds DROP COLUMN upstream_cost_usd_ticks;
                    DELETE FROM schema_version WHERE version = 6;
                    """;
                await command.ExecuteNonQueryAsync(Ct);
            }

            await using var after = await XaiHarness.StartAsync(dataDir: dataDir, configure: false);
            after.Fake.Options.MinJob = after.Fake.Options.MaxJob = TimeSpan.FromSeconds(0.3);
            after.Fake.Options.CostTicksPerSecond = 250_000_000;
            using (var admin = after.App.Admin())
            {
                // The same instance, now at this run's fake.
                await Api.OkJsonAsync(await admin.PutAsJsonAsync("/admin/providers/xai-0", new
                {
                    type = "xai",
                    base_url = after.Fake.BaseUrl.ToString(),
                    api_keys = new[] { after.Fake.Options.ApiKey },
                    request_timeout_seconds = 10,
                }, Ct));
            }

            using (var user = after.App.Client(key))
            {
                await RunAsync(user, "made after the upgrade", 2, "completed");
            }

            // The old task is still reported (no cost known for it); the new one has its cost.
            var row = await AdminRowAsync(after.App, account);
            Assert.Equal((2, 2), (row.GetProperty("tasks").GetInt32(), row.GetProperty("completed").GetInt32()));
            Assert.Equal(("0.0500000000", 1), (row.GetProperty("upstream_cost_usd").GetString(), row.GetProperty("upstream_cost_tasks").GetInt32()));
            await using var check = new SqliteConnection($"Data Source={Path.Combine(dataDir, "vidgate.db")};Mode=ReadOnly;Pooling=False");
            await check.OpenAsync(Ct);
            await using var versions = check.CreateCommand();
            versions.CommandText = "SELECT COUNT(*) FROM schema_version WHERE version = 6;";
            Assert.Equal(1L, await versions.ExecuteScalarAsync(Ct));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (IOException)
            {
                // A preview may still be finishing its last write; the temp folder is cleaned by the OS.
            }
        }
    }
}
