using System.Net.Http.Json;
using System.Text.Json;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Proof;

/// <summary>
/// The server the security checks share: a real process with workers, two tenants (alice with two completed videos and
/// a webhook, bob with nothing of hers), and 127.0.0.2 on the operator's fetch allow list so a redirect test has an
/// "allowed" host to start from. Checks that need other settings (key guessing, slow clients) start their own.
/// </summary>
public sealed class SecurityServer : IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("vidgate-security-").FullName;

    public const string AlicePrompt = "alice's private harbour at dawn";

    public ServerProcess Server { get; private set; } = null!;

    public string AliceKey { get; private set; } = "";

    public string AliceAccount { get; private set; } = "";

    public string BobKey { get; private set; } = "";

    public string AliceTask { get; private set; } = "";

    /// <summary>A second completed video of alice's, for the check that deletes one.</summary>
    public string AliceSpareTask { get; private set; } = "";

    public string AliceWebhook { get; private set; } = "";

    /// <summary>The id of alice's key (self-service keys are on here, so bob's tries on it are real).</summary>
    public string AliceKeyId { get; private set; } = "";

    public string AliceWebhookSecret { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        Server = await ServerProcess.StartAsync(_dataDir, null, "--Vidgate:Fetch:Allow:0=127.0.0.2/32", "--Billing:FailedAuthPerMinute=1000000",
            "--Vidgate:Dashboard:AllowUserKeys=true", "--Logging:LogLevel:Vidgate=Debug");
        using var admin = Server.Client(VidgateApp.AdminKey);
        (AliceKey, AliceAccount) = await NewKeyAsync(admin, "alice");
        (BobKey, _) = await NewKeyAsync(admin, "bob");
        using var alice = Server.Client(AliceKey);
        AliceKeyId = (await Api.OkJsonAsync(await alice.GetAsync("/v1/account/keys", TestContext.Current.CancellationToken))).GetProperty("data")[0].GetProperty("id").GetString()!;
        AliceTask = (await alice.CreateAsync(new { model = "grok-imagine-video", prompt = AlicePrompt, seconds = 1, resolution = "480P" })).GetProperty("id").GetString()!;
        AliceSpareTask = (await alice.CreateAsync(new { model = "grok-imagine-video", prompt = AlicePrompt, seconds = 1, resolution = "480P" })).GetProperty("id").GetString()!;
        await alice.WaitForAsync(AliceTask, "completed");
        await alice.WaitForAsync(AliceSpareTask, "completed");
        // Deliveries would go to a closed port on an allowed loopback address: nothing leaves the machine.
        var webhook = await Api.OkJsonAsync(await alice.PostJsonAsync("/v1/webhooks", """{"url":"http://127.0.0.2:9/alice-hook"}"""));
        AliceWebhook = webhook.GetProperty("id").GetString()!;
        AliceWebhookSecret = webhook.GetProperty("secret").GetString()!;
    }

    public static async Task<(string Key, string Account)> NewKeyAsync(HttpClient admin, string name)
    {
        var created = await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/keys", new { name }, TestContext.Current.CancellationToken));
        return (created.GetProperty("key").GetString()!, created.GetProperty("account_id").GetString()!);
    }

    /// <summary>The routes of the server's OpenAPI document, as (METHOD, template).</summary>
    public async Task<List<(string Method, string Template)>> RoutesAsync()
    {
        using var anonymous = Server.Client(null);
        var document = await Api.OkJsonAsync(await anonymous.GetAsync("/openapi/v1.json", TestContext.Current.CancellationToken));
        return [.. document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Where(o => o.Name is "get" or "head" or "post" or "put" or "patch" or "delete")
                .Select(o => (o.Name.ToUpperInvariant(), p.Name)))];
    }

    /// <summary>The signed link in a retrieve's answer (whatever field the dialect puts it in).</summary>
    public static string SignedLink(JsonElement video)
    {
        foreach (var property in video.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.String && property.Value.GetString()!.Contains("signature=", StringComparison.Ordinal))
            {
                return property.Value.GetString()!;
            }

            if (property.Value.ValueKind == JsonValueKind.Object && SignedLinkOrNull(property.Value) is { } nested)
            {
                return nested;
            }
        }

        throw new InvalidOperationException("no signed link in " + video);
    }

    private static string? SignedLinkOrNull(JsonElement element)
    {
        try
        {
            return SignedLink(element);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
