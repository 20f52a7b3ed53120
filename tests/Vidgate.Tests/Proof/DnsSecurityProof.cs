using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Vidgate.Server.Providers.Fetch;
using Vidgate.Tests.Support;
using Vidgate.Tests.Webhooks;

namespace Vidgate.Tests.Proof;

/// <summary>
/// SSRF through names: an attacker who owns a domain decides what it resolves to, and may answer differently on the
/// next lookup (DNS rebinding). No public DNS is reachable here, so the server's resolver is replaced by one that answers
/// as that attacker would; everything after the lookup (the guard's checks, the connect) is the server's own. A canary
/// listening on every local address shows that no refused target is ever dialled.
/// </summary>
[Trait("Proof", "security")]
public sealed class DnsSecurityProof(DnsSecurityProof.Server server) : IClassFixture<DnsSecurityProof.Server>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>What the attacker's name resolves to: inside addresses, or a public one with an inside one next to it.</summary>
    public static TheoryData<string> InsideAnswers =>
    [
        "127.0.0.1", "::1", "10.0.0.7", "172.16.4.2", "192.168.1.1", "169.254.169.254", "100.64.0.1", "fd00::1", "fe80::1",
        "::ffff:127.0.0.1", "0.0.0.0", "93.184.216.34,127.0.0.1", "2606:2800:220:1::1,10.0.0.1",
    ];

    [Theory]
    [MemberData(nameof(InsideAnswers))]
    public async Task A_name_resolving_inside_is_refused_as_image_url_callback_url_and_webhook_without_a_connection(string answer)
    {
        await using var canary = Canary.Start();
        var (dns, app) = (server.Dns, server.App);
        var name = $"inside-{Guid.NewGuid():N}.attacker.test";
        dns.Answer(name, answer.Split(','));
        using var user = await app.NewUserAsync();
        var port = canary.Port.ToString(CultureInfo.InvariantCulture);

        var image = JsonSerializer.Serialize(new { model = "grok-imagine-video", prompt = "ssrf", image = new { url = $"http://{name}:{port}/latest/meta-data/x.png" } });
        var refused = await Api.ErrorAsync(await user.PostJsonAsync("/v1/videos/generations", image), HttpStatusCode.BadRequest);
        Assert.Equal("image_url_refused", refused.GetProperty("code").GetString());

        var callback = JsonSerializer.Serialize(new { model = "grok-imagine-video", prompt = "ssrf", callback_url = $"http://{name}:{port}/hook" });
        Assert.Equal("callback_url", (await Api.ErrorAsync(await user.PostJsonAsync("/v1/videos", callback), HttpStatusCode.BadRequest)).GetProperty("param").GetString());

        var webhook = JsonSerializer.Serialize(new { url = $"http://{name}:{port}/hook" });
        Assert.Equal("url_not_allowed", (await Api.ErrorAsync(await user.PostJsonAsync("/v1/webhooks", webhook), HttpStatusCode.BadRequest)).GetProperty("code").GetString());

        Assert.True(dns.Lookups(name) >= 3, "the name was never resolved: the refusal proves nothing about DNS");
        Assert.Equal(0, canary.Connections);
        Assert.Equal(0, (await Api.OkJsonAsync(await user.GetAsync("/v1/videos", Ct))).GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task A_webhook_whose_name_rebinds_to_loopback_after_it_was_checked_is_never_delivered_there()
    {
        await using var canary = Canary.Start();
        var (dns, app) = (server.Dns, server.App);

        // Public when the endpoint is registered (the check passes), loopback on every lookup after that.
        dns.Answer("rebind.attacker.test", "93.184.216.34");
        dns.Then("rebind.attacker.test", "127.0.0.1");
        using var user = await app.NewUserAsync();
        await WebhookKit.RegisterAsync(user, $"http://rebind.attacker.test:{canary.Port.ToString(CultureInfo.InvariantCulture)}/hook");

        var created = await user.CreateAsync(new { model = "grok-imagine-video", prompt = "a quiet harbour at dawn", seconds = 1, resolution = "480P" });
        var id = created.GetProperty("id").GetString()!;
        await user.WaitForAsync(id, "completed");

        // The delivery was attempted (its connect resolved the name again and was refused), and never reached the canary.
        var delivery = await AttemptedAsync(app, id);
        Assert.NotEqual("delivered", delivery.GetProperty("status").GetString());
        Assert.Contains("refused by the SSRF guard", delivery.GetProperty("last_error").GetString(), StringComparison.Ordinal);
        Assert.True(dns.Lookups("rebind.attacker.test") >= 2);
        Assert.Equal(0, canary.Connections);
    }

    /// <summary>One in-process server for the class, its resolver the attacker's; each test uses names of its own.</summary>
    public sealed class Server : IDisposable
    {
        internal AttackerDns Dns { get; } = new();

        internal VidgateApp App { get; }

        public Server() => App = new(services: services => services.Replace(ServiceDescriptor.Singleton<IHostResolver>(Dns)));

        public void Dispose() => App.Dispose();
    }

    private static async Task<JsonElement> AttemptedAsync(VidgateApp app, string videoId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var page = await WebhookKit.DeliveriesAsync(app, $"video_id={videoId}");
            if (page.GetProperty("data").EnumerateArray().FirstOrDefault(d => d.GetProperty("attempts").GetInt32() >= 1) is { ValueKind: JsonValueKind.Object } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no delivery attempt for {videoId}: {page}");
            await Task.Delay(50, Ct);
        }
    }

    /// <summary>A resolver playing the attacker's DNS: a fixed answer per name, or a first answer and then another.</summary>
    internal sealed class AttackerDns : IHostResolver
    {
        private readonly ConcurrentDictionary<string, IPAddress[]> _first = new(StringComparer.OrdinalIgnoreCase);
        private readonly ConcurrentDictionary<string, IPAddress[]> _later = new(StringComparer.OrdinalIgnoreCase);
        private readonly ConcurrentDictionary<string, int> _lookups = new(StringComparer.OrdinalIgnoreCase);

        public void Answer(string host, params string[] addresses) => _first[host] = [.. addresses.Select(IPAddress.Parse)];

        public void Then(string host, params string[] addresses) => _later[host] = [.. addresses.Select(IPAddress.Parse)];

        public int Lookups(string host) => _lookups.TryGetValue(host, out var count) ? count : 0;

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
        {
            var n = _lookups.AddOrUpdate(host, 1, (_, count) => count + 1);
            if (n > 1 && _later.TryGetValue(host, out var later))
            {
                return Task.FromResult(later);
            }

            // Names the attacker does not own resolve as the machine would (loopback test servers, "localhost").
            return _first.TryGetValue(host, out var first) ? Task.FromResult(first) : Dns.GetHostAddressesAsync(host, ct);
        }
    }
}
