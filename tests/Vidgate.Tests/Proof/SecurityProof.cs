using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Vidgate.Tests.Hosting;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Proof;

/// <summary>
/// Proof part "security": each check a test, so the list reads as the checklist in docs/reliability.md. All against a
/// real server process (<see cref="SecurityServer"/>), from outside, the way an attacker meets it.
/// </summary>
[Trait("Proof", "security")]
public sealed class SecurityProof(SecurityServer fixture) : IClassFixture<SecurityServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ServerProcess Server => fixture.Server;

    // ---- tenants -------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Another_tenants_ids_are_404_on_every_route_and_nothing_of_hers_leaks_or_changes()
    {
        var routes = (await fixture.RoutesAsync()).Where(r => !r.Template.StartsWith("/admin", StringComparison.Ordinal) && r.Template.Contains('{', StringComparison.Ordinal)).ToList();
        Assert.True(routes.Count >= 8, $"only {routes.Count} user routes with an id");
        using var bob = Server.Client(fixture.BobKey);
        var failures = new List<string>();
        foreach (var (method, template) in routes)
        {
            var id = template.StartsWith("/v1/account/keys/", StringComparison.Ordinal) ? fixture.AliceKeyId : fixture.AliceTask;
            var path = template.Replace("{id}", id, StringComparison.Ordinal).Replace("{wid}", fixture.AliceWebhook, StringComparison.Ordinal)
                .Replace("{did}", "whd_" + fixture.AliceWebhook, StringComparison.Ordinal);
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is "POST" or "PUT" or "PATCH")
            {
                var body = MalformedInputTests.Samples.TryGetValue($"{method} {template}", out var samples) ? samples[0] : "{}";
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            }

            using var response = await bob.SendAsync(request, Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            if (method == "GET" && template.StartsWith("/dashboard/", StringComparison.Ordinal))
            {
                // A dashboard page is one static shell for every id: its data comes through the API with the viewer's
                // own rights, and the 404 is drawn by the page (tests/Vidgate.Tests/Dashboard). So the check here is that
                // nothing of hers, not even the id, is in what bob gets.
                if (Leaks(text) || text.Contains(fixture.AliceTask, StringComparison.Ordinal))
                {
                    failures.Add($"{method} {path} → {(int)response.StatusCode}: the page carries her data");
                }

                continue;
            }

            if (response.StatusCode != HttpStatusCode.NotFound || (method != "HEAD" && !MalformedInputTests.HasErrorShape(text)) || Leaks(text))
            {
                failures.Add($"{method} {path} → {(int)response.StatusCode} {text[..Math.Min(200, text.Length)]}");
            }
        }

        Assert.True(failures.Count == 0, "bob reached alice's objects:\n" + string.Join('\n', failures));

        // Bob's own lists hold nothing of hers, and her objects are as they were.
        foreach (var list in new[] { "/v1/videos", "/v1/webhooks", "/v1/usage" })
        {
            var text = await (await bob.GetAsync(list, Ct)).Content.ReadAsStringAsync(Ct);
            Assert.False(Leaks(text) || text.Contains(fixture.AliceTask, StringComparison.Ordinal) || text.Contains(fixture.AliceWebhook, StringComparison.Ordinal), $"{list}: {text}");
        }

        using var alice = Server.Client(fixture.AliceKey);
        Assert.Equal("completed", (await alice.GetVideoAsync(fixture.AliceTask)).GetProperty("status").GetString());
        await Api.OkJsonAsync(await alice.GetAsync($"/v1/webhooks/{fixture.AliceWebhook}", Ct));
        using var content = await alice.GetAsync($"/v1/videos/{fixture.AliceTask}/content", Ct);
        Assert.Equal(HttpStatusCode.OK, content.StatusCode);
    }

    private bool Leaks(string text) => text.Contains(SecurityServer.AlicePrompt, StringComparison.Ordinal)
        || text.Contains("alice-hook", StringComparison.Ordinal) || text.Contains(fixture.AliceWebhookSecret, StringComparison.Ordinal);

    [Fact]
    public async Task Every_admin_route_is_403_to_a_user_key_and_401_without_one()
    {
        var routes = (await fixture.RoutesAsync()).Where(r => r.Template.StartsWith("/admin", StringComparison.Ordinal)).ToList();
        Assert.True(routes.Count >= 20, $"only {routes.Count} admin routes");
        using var alice = Server.Client(fixture.AliceKey);
        using var anonymous = Server.Client(null);
        var failures = new List<string>();
        foreach (var (method, template) in routes)
        {
            var path = template.Replace("{id}", fixture.AliceAccount, StringComparison.Ordinal).Replace("{wid}", fixture.AliceWebhook, StringComparison.Ordinal)
                .Replace("{did}", "whd_x", StringComparison.Ordinal).Replace("{model}", "grok-imagine-video", StringComparison.Ordinal)
                .Replace("{resolution}", "720", StringComparison.Ordinal);
            foreach (var (client, expected) in new[] { (alice, HttpStatusCode.Forbidden), (anonymous, HttpStatusCode.Unauthorized) })
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method is "POST" or "PUT" or "PATCH")
                {
                    var body = MalformedInputTests.Samples.TryGetValue($"{method} {template}", out var samples) ? samples[0] : "{}";
                    request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                }

                using var response = await client.SendAsync(request, Ct);
                var text = await response.Content.ReadAsStringAsync(Ct);
                if (response.StatusCode != expected || (method != "HEAD" && !MalformedInputTests.HasErrorShape(text)) || text.Contains("\"data\"", StringComparison.Ordinal))
                {
                    failures.Add($"{method} {path} ({(client == alice ? "user key" : "no key")}) → {(int)response.StatusCode} {text[..Math.Min(200, text.Length)]}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
        // Nothing the refused requests asked for happened: alice's account is still on its tier with its balance.
        using var admin = Server.Client(VidgateApp.AdminKey);
        var account = await Api.OkJsonAsync(await admin.GetAsync($"/admin/accounts/{fixture.AliceAccount}", Ct));
        Assert.Equal("default", account.GetProperty("tier").GetString());
    }

    // ---- signed content links -------------------------------------------------------------------------------------

    [Fact]
    public async Task A_signed_link_works_without_a_key_and_a_forged_signature_is_403()
    {
        var link = await LinkAsync(fixture.AliceTask);
        using var anonymous = new HttpClient();
        using (var ok = await anonymous.GetAsync(link, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("video/mp4", ok.Content.Headers.ContentType?.MediaType);
        }

        var signature = link[(link.IndexOf("signature=", StringComparison.Ordinal) + 10)..];
        var flipped = (signature[^1] == 'A' ? 'B' : 'A') + "";
        foreach (var forged in new[]
        {
            link[..^1] + flipped, link.Replace(signature, "", StringComparison.Ordinal), link.Replace(signature, new string('A', signature.Length), StringComparison.Ordinal),
            link.Replace(signature, signature.ToUpperInvariant(), StringComparison.Ordinal), link + "A", link.Replace(signature, signature + "%00", StringComparison.Ordinal),
        }.Where(f => f != link))
        {
            using var response = await anonymous.GetAsync(forged, Ct);
            Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized, $"{forged} → {(int)response.StatusCode}");
            Assert.NotEqual("video/mp4", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task An_expired_link_is_403_even_when_honestly_signed_and_a_stretched_expiry_is_403()
    {
        var link = await LinkAsync(fixture.AliceTask);
        var secret = ContentLinkSecret();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var anonymous = new HttpClient();

        // The test signs as the server does: a future expiry it signed itself works (so the expired one below is
        // refused for its expiry, not for a wrong signature).
        using (var fresh = await anonymous.GetAsync(Signed(fixture.AliceTask, now + 600, secret), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        using (var expired = await anonymous.GetAsync(Signed(fixture.AliceTask, now - 5, secret), Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
        }

        var expires = long.Parse(link.Split("expires=")[1].Split('&')[0], CultureInfo.InvariantCulture);
        foreach (var stretched in new[] { expires + 1, expires + 86_400, long.MaxValue, -1 })
        {
            using var response = await anonymous.GetAsync(link.Replace($"expires={expires}", $"expires={stretched}", StringComparison.Ordinal), Ct);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
    }

    [Fact]
    public async Task A_link_moved_to_another_video_is_403_and_does_not_widen_a_key()
    {
        var link = await LinkAsync(fixture.AliceTask);
        using var anonymous = new HttpClient();
        using (var moved = await anonymous.GetAsync(link.Replace(fixture.AliceTask, fixture.AliceSpareTask, StringComparison.Ordinal), Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, moved.StatusCode);
        }

        // With a key, the key decides: bob holding alice's valid link still does not get her video.
        using var bob = new HttpClient();
        bob.DefaultRequestHeaders.Authorization = new("Bearer", fixture.BobKey);
        using var withKey = await bob.GetAsync(link, Ct);
        Assert.Equal(HttpStatusCode.NotFound, withKey.StatusCode);
    }

    [Fact]
    public async Task A_replayed_link_stops_working_once_its_video_is_deleted()
    {
        var link = await LinkAsync(fixture.AliceSpareTask);
        using var anonymous = new HttpClient();
        using (var before = await anonymous.GetAsync(link, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        using var alice = Server.Client(fixture.AliceKey);
        using (var deleted = await alice.DeleteAsync($"/v1/videos/{fixture.AliceSpareTask}", Ct))
        {
            Assert.True(deleted.IsSuccessStatusCode, $"delete → {(int)deleted.StatusCode}");
        }

        using var replayed = await anonymous.GetAsync(link, Ct);
        Assert.True(replayed.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone or HttpStatusCode.Forbidden, $"replay → {(int)replayed.StatusCode}");
        Assert.NotEqual("video/mp4", replayed.Content.Headers.ContentType?.MediaType);
    }

    private async Task<string> LinkAsync(string task)
    {
        using var alice = Server.Client(fixture.AliceKey);
        return SecurityServer.SignedLink(await alice.GetVideoAsync(task));
    }

    private string ContentLinkSecret()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(Server.DataDir, "vidgate.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM settings WHERE name = 'content_link_secret';";
        return (string)command.ExecuteScalar()!;
    }

    private string Signed(string task, long expires, string secret)
    {
        var mac = HMACSHA256.HashData(Convert.FromBase64String(secret), Encoding.UTF8.GetBytes($"{task}\n{expires}"));
        var signature = Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{Server.BaseAddress}v1/videos/{task}/content?expires={expires}&signature={signature}";
    }

    // ---- SSRF -----------------------------------------------------------------------------------------------------

    /// <summary>Loopback in every spelling: the canary listens on all addresses, so any connection at all shows.</summary>
    public static TheoryData<string> LoopbackHosts =>
    [
        "127.0.0.1", "localhost", "localhost.", "LOCALHOST", "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "0x7f.0.0.1", "127.000.000.001",
        "127.255.255.254", "[::1]", "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "0.0.0.0", "0", "[::]",
    ];

    /// <summary>Private, link-local, metadata and other non-public ranges: refused by rule, before any connect.</summary>
    public static TheoryData<string> PrivateHosts =>
    [
        "10.0.0.1", "10.255.255.254", "172.16.0.1", "172.31.255.254", "192.168.0.1", "192.168.255.254", "169.254.169.254", "169.254.0.1",
        "2852039166", "0xa9fea9fe", "0251.0376.0251.0376", "100.64.0.1", "[fd00::1]", "[fc00::1]", "[fe80::1]", "[fd00:ec2::254]",
        "[::ffff:10.0.0.1]", "[::ffff:169.254.169.254]", "[::ffff:a9fe:a9fe]", "224.0.0.1", "255.255.255.255",
    ];

    [Theory]
    [MemberData(nameof(LoopbackHosts))]
    [MemberData(nameof(PrivateHosts))]
    public async Task An_image_url_into_a_loopback_or_private_address_is_refused_without_a_connection(string host)
    {
        await using var canary = Canary.Start();
        using var alice = Server.Client(fixture.AliceKey);
        var body = JsonSerializer.Serialize(new { model = "grok-imagine-video", prompt = "ssrf", image = new { url = $"http://{host}:{canary.Port}/latest/meta-data/x.png" } });
        var error = await Api.ErrorAsync(await alice.PostJsonAsync("/v1/videos/generations", body), HttpStatusCode.BadRequest);
        Assert.Contains(error.GetProperty("code").GetString(), new[] { "image_url_refused", "invalid_image_url", "image_url_unreachable" });
        Assert.Equal(0, canary.Connections);
    }

    [Theory]
    [MemberData(nameof(PrivateHosts))]
    public async Task An_image_url_into_a_private_range_is_refused_by_rule(string host)
    {
        using var alice = Server.Client(fixture.AliceKey);
        var body = JsonSerializer.Serialize(new { model = "grok-imagine-video", prompt = "ssrf", image = new { url = $"http://{host}/latest/meta-data/x.png" } });
        var error = await Api.ErrorAsync(await alice.PostJsonAsync("/v1/videos/generations", body), HttpStatusCode.BadRequest);
        Assert.Equal("image_url_refused", error.GetProperty("code").GetString());
    }

    [Theory]
    [MemberData(nameof(LoopbackHosts))]
    [MemberData(nameof(PrivateHosts))]
    public async Task A_callback_url_or_webhook_into_a_loopback_or_private_address_is_refused(string host)
    {
        await using var canary = Canary.Start();
        using var alice = Server.Client(fixture.AliceKey);
        var url = $"http://{host}:{canary.Port}/hook";
        var callback = await Api.ErrorAsync(await alice.PostJsonAsync("/v1/videos", JsonSerializer.Serialize(new { model = "grok-imagine-video", prompt = "ssrf", callback_url = url })), HttpStatusCode.BadRequest);
        Assert.Equal("callback_url", callback.GetProperty("param").GetString());
        var webhook = await Api.ErrorAsync(await alice.PostJsonAsync("/v1/webhooks", JsonSerializer.Serialize(new { url })), HttpStatusCode.BadRequest);
        Assert.Equal("url_not_allowed", webhook.GetProperty("code").GetString());
        Assert.Equal(0, canary.Connections);
    }

    [Theory]
    [InlineData("http://127.0.0.1:{canary}/x.png")]
    [InlineData("http://localhost:{canary}/x.png")]
    [InlineData("http://[::1]:{canary}/x.png")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://10.0.0.1/x.png")]
    public async Task A_redirect_from_an_allowed_host_into_a_forbidden_one_is_refused(string target)
    {
        await using var canary = Canary.Start();
        var location = target.Replace("{canary}", canary.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        await using var redirector = Canary.Start(IPAddress.Parse("127.0.0.2"), $"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        using var alice = Server.Client(fixture.AliceKey);
        var body = JsonSerializer.Serialize(new { model = "grok-imagine-video", prompt = "ssrf", image = new { url = $"http://127.0.0.2:{redirector.Port}/img.png" } });

        await Api.ErrorAsync(await alice.PostJsonAsync("/v1/videos/generations", body), HttpStatusCode.BadRequest);

        Assert.True(redirector.Connections >= 1, "the allowed host was never asked: the check proves nothing");
        Assert.Equal(0, canary.Connections);
    }

    // ---- size limits and slow clients -------------------------------------------------------------------------------

    [Fact]
    public async Task A_body_over_the_limit_is_413()
    {
        var head = Encoding.ASCII.GetBytes($"POST /v1/videos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {fixture.AliceKey}\r\nContent-Type: application/json\r\nContent-Length: {(65L << 20).ToString(CultureInfo.InvariantCulture)}\r\n\r\n");
        var answer = await FuzzHttp.SendAsync(Server.BaseAddress, [.. head, .. new byte[64 * 1024]], TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(413, answer.Status);
    }

    [Fact]
    public async Task Headers_over_the_limit_are_431_and_a_request_line_over_it_is_414()
    {
        var huge = FuzzHttp.Request("GET", "/v1/videos", [("Authorization", "Bearer " + fixture.AliceKey), ("X-Big", new string('h', 64 * 1024))], []);
        Assert.Equal(431, (await FuzzHttp.SendAsync(Server.BaseAddress, huge, TimeSpan.FromSeconds(10), Ct)).Status);
        var many = FuzzHttp.Request("GET", "/v1/videos", [.. Enumerable.Range(0, 200).Select(i => ("X-Many-" + i, "v"))], []);
        Assert.Equal(431, (await FuzzHttp.SendAsync(Server.BaseAddress, many, TimeSpan.FromSeconds(10), Ct)).Status);
        var longLine = FuzzHttp.Request("GET", "/v1/videos?q=" + new string('q', 20_000), [("Authorization", "Bearer " + fixture.AliceKey)], []);
        Assert.Equal(414, (await FuzzHttp.SendAsync(Server.BaseAddress, longLine, TimeSpan.FromSeconds(10), Ct)).Status);
    }

    [Fact]
    public async Task A_client_trickling_its_headers_is_cut_off()
    {
        // In the suite the header timeout is set to 2 s so the check is quick; a proof run keeps Kestrel's default (30 s),
        // which is what a deployment gets.
        var args = ProofRun.IsProof ? Array.Empty<string>() : ["--Kestrel:Limits:RequestHeadersTimeout=00:00:02"];
        var giveUp = ProofRun.IsProof ? TimeSpan.FromSeconds(90) : TimeSpan.FromSeconds(20);
        var dataDir = Directory.CreateTempSubdirectory("vidgate-loris-").FullName;
        await using var server = await ServerProcess.StartAsync(dataDir, null, args);
        var (cut, seconds) = await SlowLoris.TrickleAsync(server.BaseAddress, "GET /healthz HTTP/1.1\r\nHost: x\r\n", "X-Slow: y\r\n", giveUp, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"headers trickled at one line a second: cut off after {seconds:0.0} s");
        Assert.True(cut, $"the server still listened after {giveUp.TotalSeconds} s of trickled headers");
        Assert.Equal(HttpStatusCode.OK, (await server.Client(null).GetAsync("/healthz", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_client_trickling_its_body_is_cut_off()
    {
        // Kestrel's MinRequestBodyDataRate (240 B/s after a 5 s grace): a body sent at 10 B/s is dropped.
        var head = $"POST /v1/videos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {fixture.AliceKey}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n";
        var (cut, seconds) = await SlowLoris.TrickleAsync(Server.BaseAddress, head, "          ", TimeSpan.FromSeconds(40), Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"body trickled at 10 B/s: cut off after {seconds:0.0} s");
        Assert.True(cut, "the server still waited for a body trickling at 10 B/s after 40 s");
    }

    // ---- keys and secrets ---------------------------------------------------------------------------------------

    [Fact]
    public async Task Guessing_keys_is_rate_limited_per_address_and_logged_without_the_guesses()
    {
        var dataDir = Directory.CreateTempSubdirectory("vidgate-guess-").FullName;
        await using var server = await ServerProcess.StartAsync(dataDir);
        using var admin = server.Client(VidgateApp.AdminKey);
        var (realKey, _) = await SecurityServer.NewKeyAsync(admin, "real");
        var guesses = Enumerable.Range(0, 80).Select(i => "vg_guess_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12))).ToList();
        var statuses = new List<HttpStatusCode>();
        foreach (var guess in guesses)
        {
            using var guesser = server.Client(guess);
            using var response = await guesser.GetAsync("/v1/videos", Ct);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.NotNull(response.Headers.RetryAfter);
                await Api.ErrorAsync(response, HttpStatusCode.TooManyRequests);
            }
        }

        Assert.Equal(HttpStatusCode.Unauthorized, statuses[0]);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.True(statuses.Count(s => s == HttpStatusCode.Unauthorized) <= 61, $"{statuses.Count(s => s == HttpStatusCode.Unauthorized)} guesses were checked against the keys");

        // While blocked, even the right key from that address waits: the guesser cannot tell a hit from a miss.
        using var real = server.Client(realKey);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await real.GetAsync("/v1/videos", Ct)).StatusCode);

        var log = await LogAsync(server, "failed authentications");
        Assert.Contains("127.0.0.1", log.Split('\n').First(l => l.Contains("failed authentications", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.DoesNotContain(guesses, g => log.Contains(g, StringComparison.Ordinal));
        Assert.DoesNotContain(realKey, log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secrets_never_appear_in_logs_or_in_any_answer_but_the_one_that_hands_them_out()
    {
        using var admin = Server.Client(VidgateApp.AdminKey);
        using var alice = Server.Client(fixture.AliceKey);
        var upstreamKey = "sk-upstream-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new { id = "secret-probe", type = "openai", base_url = "http://127.0.0.2:9/v1", api_keys = new[] { upstreamKey } }, Ct));
        var callbackSecret = (await Api.OkJsonAsync(await alice.GetAsync("/v1/webhooks/callback-secret", Ct))).GetProperty("secret").GetString()!;
        var rotated = (await Api.OkJsonAsync(await alice.PostAsync($"/v1/webhooks/{fixture.AliceWebhook}/rotate-secret", null, Ct))).GetProperty("secret").GetString()!;
        // A key one character off, and a key in the wrong place: neither may be echoed.
        using var nearMiss = Server.Client(fixture.AliceKey[..^1] + (fixture.AliceKey[^1] == 'a' ? 'b' : 'a'));
        var nearMissAnswer = await (await nearMiss.GetAsync("/v1/videos", Ct)).Content.ReadAsStringAsync(Ct);
        var queryKeyAnswer = await (await Server.Client(null).GetAsync($"/v1/videos?api_key={fixture.AliceKey}", Ct)).Content.ReadAsStringAsync(Ct);

        string[] secrets = [VidgateApp.AdminKey, fixture.AliceKey, fixture.BobKey, upstreamKey, fixture.AliceWebhookSecret, rotated, callbackSecret, ContentLinkSecret()];
        var answers = new List<(string Where, string Text)> { ("near-miss 401", nearMissAnswer), ("key in query", queryKeyAnswer) };
        foreach (var (client, path) in new[]
        {
            (admin, "/admin/providers"), (admin, "/admin/providers/secret-probe"), (admin, "/admin/keys"), (admin, "/admin/accounts"),
            (admin, $"/admin/accounts/{fixture.AliceAccount}"), (admin, $"/admin/accounts/{fixture.AliceAccount}/webhooks"), (admin, "/metrics"),
            (alice, "/v1/webhooks"), (alice, $"/v1/webhooks/{fixture.AliceWebhook}"), (alice, $"/v1/webhooks/{fixture.AliceWebhook}/deliveries"),
            (alice, "/v1/videos"), (alice, $"/v1/videos/{fixture.AliceTask}"), (alice, "/v1/usage"), (alice, "/openapi/v1.json"), (alice, "/healthz"),
        })
        {
            answers.Add((path, await (await client.GetAsync(path, Ct)).Content.ReadAsStringAsync(Ct)));
        }

        var log = await LogAsync(Server, null);
        var found = secrets.SelectMany(s => answers.Where(a => a.Text.Contains(s, StringComparison.Ordinal)).Select(a => $"{Mask(s)} in {a.Where}"))
            .Concat(secrets.Where(s => log.Contains(s, StringComparison.Ordinal)).Select(s => $"{Mask(s)} in the server log"))
            .ToList();
        Assert.True(found.Count == 0, string.Join('\n', found));
        Assert.True(log.Length > 1000, "the server log is nearly empty: the check proves nothing");
    }

    private static string Mask(string secret) => secret[..Math.Min(6, secret.Length)] + "…";

    /// <summary>The server's output once it holds <paramref name="marker"/> (log lines are flushed asynchronously).</summary>
    private static async Task<string> LogAsync(ServerProcess server, string? marker)
    {
        for (var i = 0; i < 50 && marker is not null && !server.Output.Contains(marker, StringComparison.Ordinal); i++)
        {
            await Task.Delay(100, Ct);
        }

        await Task.Delay(300, Ct);
        return server.Output;
    }
}
