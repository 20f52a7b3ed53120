using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Accounts;

/// <summary>Keys: created by admins, secret shown once and stored hashed, revocation effective at once.</summary>
public sealed class AdminKeyTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private readonly VidgateApp _app = fixture.App;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_admin_creates_a_key_whose_secret_is_shown_once_and_never_listed()
    {
        using var admin = _app.Admin();
        var created = await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/keys", new { name = "ci" }, Ct));
        var secret = created.GetProperty("key").GetString()!;
        Assert.StartsWith("vg_", secret);
        Assert.True(secret.Length >= 40);
        Assert.Equal("ci", created.GetProperty("name").GetString());

        var listText = await admin.GetStringAsync("/admin/keys", Ct);
        Assert.DoesNotContain(secret, listText, StringComparison.Ordinal);
        Assert.DoesNotContain(VidgateApp.AdminKey, listText, StringComparison.Ordinal);
        var listed = JsonDocument.Parse(listText).RootElement.GetProperty("data").EnumerateArray()
            .Single(k => k.GetProperty("id").GetString() == created.GetProperty("id").GetString());
        Assert.False(listed.TryGetProperty("key", out _));
        Assert.Equal(secret[..10], listed.GetProperty("prefix").GetString());

        // The database holds only the hash.
        var dbBytes = await File.ReadAllBytesAsync(Path.Combine(_app.DataDir, "vidgate.db"), Ct);
        var walPath = Path.Combine(_app.DataDir, "vidgate.db-wal");
        var walBytes = File.Exists(walPath) ? await ReadSharedAsync(walPath) : [];
        Assert.Equal(-1, IndexOf(dbBytes, System.Text.Encoding.UTF8.GetBytes(secret)));
        Assert.Equal(-1, IndexOf(walBytes, System.Text.Encoding.UTF8.GetBytes(secret)));
    }

    [Fact]
    public async Task A_revoked_key_gets_401_at_once()
    {
        using var admin = _app.Admin();
        var created = await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/keys", new { name = "soon gone" }, Ct));
        using var user = _app.Client(created.GetProperty("key").GetString());
        await Api.ErrorAsync(await user.GetAsync("/v1/videos/video_x", Ct), HttpStatusCode.NotFound);

        var revoked = await Api.OkJsonAsync(await admin.DeleteAsync($"/admin/keys/{created.GetProperty("id").GetString()}", Ct));
        Assert.NotEqual(JsonValueKind.Null, revoked.GetProperty("revoked_at").ValueKind);
        await Api.ErrorAsync(await user.GetAsync("/v1/videos/video_x", Ct), HttpStatusCode.Unauthorized);
        await Api.ErrorAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Admin_routes_refuse_user_keys_and_anonymous_callers()
    {
        using var user = await _app.NewUserAsync();
        var error = await Api.ErrorAsync(await user.GetAsync("/admin/keys", Ct), HttpStatusCode.Forbidden);
        Assert.Equal("admin_required", error.GetProperty("code").GetString());
        using var anonymous = _app.Client(key: null);
        await Api.ErrorAsync(await anonymous.PostAsJsonAsync("/admin/keys", new { name = "x" }, Ct), HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("""{}""", "name")]
    [InlineData("""{"name":"   "}""", "name")]
    [InlineData("""{"name":""", "body")]
    public async Task Creating_a_key_without_a_valid_name_is_a_400(string body, string param)
    {
        using var admin = _app.Admin();
        var error = await Api.ErrorAsync(await admin.PostJsonAsync("/admin/keys", body), HttpStatusCode.BadRequest);
        Assert.Equal(param, error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task Revoking_an_unknown_key_is_a_404()
    {
        using var admin = _app.Admin();
        await Api.ErrorAsync(await admin.DeleteAsync("/admin/keys/key_nope", Ct), HttpStatusCode.NotFound);
    }

    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}
