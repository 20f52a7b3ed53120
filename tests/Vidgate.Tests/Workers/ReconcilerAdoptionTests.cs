using System.Net.Http.Json;
using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Tests.Providers;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Workers;

/// <summary>
/// A job the Reconciler adopts after a crash (the upstream took it, its answer was never stored) is the same task a
/// normal submit makes: it shows what the vendor delivers, not what was asked, and is charged for the delivered seconds.
/// </summary>
[Collection(UpstreamCollection.Name)]
public sealed class ReconcilerAdoptionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_job_adopted_after_a_crash_shows_and_bills_the_delivered_length_and_size_as_a_normal_submit_does()
    {
        // Kling's unknown models make 5 or 10 s at 720p or 1080p: 7 s at 480P is delivered as 5 s at 1280x720.
        await using var fake = await FakeKling.StartAsync(ct: Ct);
        var dir = Directory.CreateTempSubdirectory("vidgate-adopt-").FullName;
        var settings = new Dictionary<string, string?>
        {
            ["Vidgate:Fetch:Allow:0"] = "127.0.0.0/8",
            ["Vidgate:LeaseDuration"] = "00:00:01",
            ["Vidgate:Upstreams:MinPollInterval"] = "00:00:00.200",
            ["Vidgate:Upstreams:MaxPollInterval"] = "00:00:01",
            ["Vidgate:Upstreams:MaxBlindPollInterval"] = "00:00:01",
        };
        var asked = new { model = "grok-imagine-video", seconds = 7, resolution = "480P", aspect_ratio = "16:9" };
        try
        {
            string normalId, adoptedId;
            System.Net.Http.Headers.AuthenticationHeaderValue auth;
            using (var before = new VidgateApp(dir, settings: settings))
            {
                using var admin = before.Admin();
                await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new
                {
                    id = "kling",
                    type = "kling",
                    base_url = fake.BaseUrl.ToString(),
                    api_keys = new[] { fake.Options.ApiKey },
                    // Long enough that the submit is still waiting when the server dies (it would look the job up itself on
                    // a timeout); the restarted node reconciles it once this plus the lease has passed.
                    request_timeout_seconds = 8,
                }, Ct));
                await UpstreamServer.RouteAsync(before, "kling");
                using var user = await before.NewUserAsync();
                auth = user.DefaultRequestHeaders.Authorization!;

                normalId = (await user.CreateAsync(new { asked.model, prompt = "the normal path", asked.seconds, asked.resolution, asked.aspect_ratio }))
                    .GetProperty("id").GetString()!;
                await user.WaitForAsync(normalId, "completed", TimeSpan.FromSeconds(60));

                // Kling takes the second job but its answer never arrives; the server dies in that window.
                adoptedId = (await user.CreateAsync(new { asked.model, prompt = "the crash window [fake:submit-hang]", asked.seconds, asked.resolution, asked.aspect_ratio }))
                    .GetProperty("id").GetString()!;
                var waited = DateTime.UtcNow;
                while (fake.Jobs.Count < 2)
                {
                    Assert.True(DateTime.UtcNow - waited < TimeSpan.FromSeconds(20), "the submit never reached the fake");
                    await Task.Delay(50, Ct);
                }

                var stranded = await user.GetVideoAsync(adoptedId);
                Assert.Equal(("processing", "7"), (Text(stranded, "status"), Text(stranded, "seconds")));
            }

            // Nothing looked the job up before the crash: it is the restarted node's Reconciler that finds and adopts it.
            Assert.DoesNotContain(fake.Requests, r => r.Method == "GET" && r.Path.Contains(adoptedId, StringComparison.Ordinal));

            using var after = new VidgateApp(dir, settings: settings);
            using var again = after.Client(null);
            again.DefaultRequestHeaders.Authorization = auth;
            var adopted = await again.WaitForAsync(adoptedId, "completed", TimeSpan.FromSeconds(60));
            var normal = await again.GetVideoAsync(normalId);

            Assert.Contains(fake.Requests, r => r.Method == "GET" && r.Path.Contains(adoptedId, StringComparison.Ordinal));
            Assert.Equal(2, fake.Jobs.Count);
            // The seed dialect shows the resolution label as "size".
            Assert.Equal(("5", "720P", "16:9"), (Text(normal, "seconds"), Text(normal, "size"), Text(normal, "aspect_ratio")));
            Assert.Equal(
                (Text(normal, "seconds"), Text(normal, "size"), Text(normal, "aspect_ratio")),
                (Text(adopted, "seconds"), Text(adopted, "size"), Text(adopted, "aspect_ratio")));

            // Both charged for the 5 s delivered, the same amount each, nothing left held.
            var usage = await Api.OkJsonAsync(await again.GetAsync("/v1/usage", Ct));
            var rows = usage.GetProperty("data").EnumerateArray().ToList();
            Assert.Equal((2, 10L, 0L), (rows.Sum(r => r.GetProperty("completed").GetInt32()), rows.Sum(r => r.GetProperty("seconds_generated").GetInt64()),
                usage.GetProperty("held_micros").GetInt64()));
            var charges = await ChargesAsync(after, [normalId, adoptedId]);
            Assert.Equal(charges[normalId], charges[adoptedId]);
            Assert.True(charges[normalId] > 0);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>What each task was charged, as the ledger's holds record it.</summary>
    private static async Task<Dictionary<string, long>> ChargesAsync(VidgateApp app, string[] ids)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(app.DataDir, "vidgate.db")};Mode=ReadOnly");
        await connection.OpenAsync(Ct);
        var charges = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT charged FROM holds WHERE task_id = $id AND state = 'settled';";
            command.Parameters.AddWithValue("$id", id);
            charges[id] = Convert.ToInt64(await command.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture);
        }

        return charges;
    }

    private static string? Text(JsonElement video, string name) => video.TryGetProperty(name, out var value) ? value.GetString() : null;
}
