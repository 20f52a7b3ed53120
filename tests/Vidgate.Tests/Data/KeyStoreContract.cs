using System.Security.Cryptography;
using Vidgate.Server.Accounts;
using Vidgate.Server.Billing;

namespace Vidgate.Tests.Data;

/// <summary>
/// <see cref="IKeyStore"/>, on any engine: keys are found by the hash of their secret only, with their account's plan;
/// revoked keys are not found; a new account gets its tier and credit in the same write as its first key.
/// </summary>
public abstract class KeyStoreContract : StoreContract
{
    private protected KeyStoreContract(StoreEngine engine)
        : base(engine)
    {
    }

    private IKeyStore Keys => Engine.Keys;

    private static byte[] SecretHash() => SHA256.HashData(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public async Task A_key_is_found_by_the_hash_of_its_secret_with_its_accounts_plan()
    {
        Assert.False(await Keys.AnyAsync(Ct));
        var hash = SecretHash();
        var record = (await Keys.CreateAsync(new NewKey("alice", IsAdmin: false), hash, "vg_abcdefg", Now, Ct))!;
        Assert.True(await Keys.AnyAsync(Ct));
        Assert.Equal(("alice", "vg_abcdefg", false, Now), (record.Name, record.Prefix, record.IsAdmin, record.CreatedAt));

        var caller = (await Keys.FindActiveAsync(hash, Ct))!;
        Assert.Equal((record.Id, record.AccountId, false), (caller.KeyId, caller.AccountId, caller.IsAdmin));
        Assert.Equal(("default", false), (caller.Plan.TierId, caller.Plan.Unmetered));
        Assert.Null(await Keys.FindActiveAsync(SecretHash(), Ct));
        Assert.Equal(record, Assert.Single(await Keys.ListAsync(Ct)));
    }

    [Fact]
    public async Task A_new_account_gets_the_configured_credit_in_its_ledger_and_an_admins_is_unmetered()
    {
        var user = (await Keys.CreateAsync(new NewKey("user", IsAdmin: false), SecretHash(), "vg_user", Now, Ct))!;
        var account = await BooksAsync(user.AccountId);
        Assert.Equal((new BillingOptions().NewAccountCredit, "default", false), (account.Balance, account.TierId, account.Unmetered));

        var adminHash = SecretHash();
        var admin = (await Keys.CreateAsync(new NewKey("root", IsAdmin: true), adminHash, "vg_root", Now, Ct))!;
        var adminAccount = await BooksAsync(admin.AccountId);
        Assert.Equal((0L, "unlimited", true), (adminAccount.Balance, adminAccount.TierId, adminAccount.Unmetered));
        Assert.True((await Keys.FindActiveAsync(adminHash, Ct))!.IsAdmin);
    }

    [Fact]
    public async Task A_second_key_joins_an_existing_account_and_a_missing_account_makes_none()
    {
        var first = (await Keys.CreateAsync(new NewKey("a", IsAdmin: false), SecretHash(), "vg_a", Now, Ct))!;
        var second = (await Keys.CreateAsync(new NewKey("b", IsAdmin: false, first.AccountId), SecretHash(), "vg_b", Now, Ct))!;
        Assert.Equal(first.AccountId, second.AccountId);
        Assert.Null(await Keys.CreateAsync(new NewKey("c", IsAdmin: false, "acct_missing"), SecretHash(), "vg_c", Now, Ct));
        Assert.Equal(2, (await Keys.ListAsync(Ct)).Count);
    }

    [Fact]
    public async Task A_revoked_key_is_no_longer_found_and_keeps_its_first_revocation_time()
    {
        var hash = SecretHash();
        var record = (await Keys.CreateAsync(new NewKey("k", IsAdmin: false), hash, "vg_k", Now, Ct))!;
        Assert.Equal(Now.AddMinutes(1), (await Keys.RevokeAsync(record.Id, Now.AddMinutes(1), Ct))!.RevokedAt);
        Assert.Equal(Now.AddMinutes(1), (await Keys.RevokeAsync(record.Id, Now.AddMinutes(2), Ct))!.RevokedAt);
        Assert.Null(await Keys.FindActiveAsync(hash, Ct));
        Assert.Null(await Keys.RevokeAsync("key_missing", Now, Ct));
    }

    [Fact]
    public async Task A_keys_own_rate_limit_narrows_its_tier_and_never_widens_it()
    {
        var hash = SecretHash();
        var record = (await Keys.CreateAsync(new NewKey("k", IsAdmin: false, RequestsPerMinute: 10, ExpiresAt: Now.AddDays(1)), hash, "vg_k", Now, Ct))!;
        var caller = (await Keys.FindActiveAsync(hash, Ct))!;
        Assert.Equal((10, Now.AddDays(1)), (caller.Plan.RequestsPerMinute, caller.ExpiresAt));

        // The default tier allows 60 a minute: a key asking for more gets 60.
        var updated = (await Keys.UpdateLimitsAsync(record.Id, 1000, null, Ct))!;
        Assert.Equal((1000, (DateTimeOffset?)null), (updated.RequestsPerMinute, updated.ExpiresAt));
        Assert.Equal(60, (await Keys.FindActiveAsync(hash, Ct))!.Plan.RequestsPerMinute);
        Assert.Null(await Keys.UpdateLimitsAsync("key_missing", 1, null, Ct));
    }

    [Fact]
    public async Task An_accounts_keys_are_listed_with_their_last_video_and_no_other_accounts_keys()
    {
        var first = (await Keys.CreateAsync(new NewKey("first", IsAdmin: false), SecretHash(), "vg_first", Now, Ct))!;
        var second = (await Keys.CreateAsync(new NewKey("second", IsAdmin: false, first.AccountId), SecretHash(), "vg_second", Now.AddMinutes(1), Ct))!;
        var stranger = (await Keys.CreateAsync(new NewKey("stranger", IsAdmin: false), SecretHash(), "vg_other", Now, Ct))!;
        await Engine.Billing.ChangeBalanceAsync(first.AccountId, "credit", 100 * Money.Unit, "test", Ct);
        foreach (var at in new[] { Now.AddMinutes(5), Now.AddMinutes(9), Now.AddMinutes(7) })
        {
            var task = NewTask(account: first.AccountId, at: at) with { KeyId = second.Id };
            Assert.IsType<Vidgate.Server.Tasks.InsertOutcome.Created>(await Engine.Tasks.InsertAsync(task, HoldFor(task), Ct));
        }

        await Keys.RevokeAsync(first.Id, Now.AddMinutes(10), Ct);
        var listed = await Keys.ListForAccountAsync(first.AccountId, Ct);

        Assert.Equal([first.Id, second.Id], listed.Select(k => k.Key.Id));
        Assert.Equal((Now.AddMinutes(10), (DateTimeOffset?)null), (listed[0].Key.RevokedAt, listed[0].LastUsedAt));
        Assert.Equal(Now.AddMinutes(9), listed[1].LastUsedAt);
        Assert.Equal(second, listed[1].Key);
        Assert.DoesNotContain(listed, k => k.Key.Id == stranger.Id);
        Assert.Empty(await Keys.ListForAccountAsync("acct_nobody", Ct));
    }

    [Fact]
    public async Task A_setting_is_created_once_and_every_later_caller_gets_the_same_value()
    {
        var values = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Keys.GetOrCreateSettingAsync("signing_key", () => $"value-{i}", Ct)));
        Assert.Single(values.Distinct());
        using var other = Engine.OpenAnother();
        Assert.Equal(values[0], await other.Keys.GetOrCreateSettingAsync("signing_key", () => "another", Ct));
    }

    [Fact]
    public async Task A_keys_own_models_and_ip_fence_are_kept_and_change_only_when_a_patch_names_them()
    {
        var hash = SecretHash();
        var record = (await Keys.CreateAsync(new NewKey("k", IsAdmin: false) { AllowedModels = ["sora-2"], AllowedIps = ["203.0.113.0/24", "2001:db8::/32"] }, hash, "vg_k", Now, Ct))!;
        Assert.Equal(["sora-2"], record.AllowedModels!);
        Assert.Equal(["203.0.113.0/24", "2001:db8::/32"], record.AllowedIps!);
        var caller = (await Keys.FindActiveAsync(hash, Ct))!;
        Assert.Equal(["sora-2"], caller.Plan.AllowedModels!);
        Assert.True(caller.AllowedIps!.Single(n => n.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork).Contains(System.Net.IPAddress.Parse("203.0.113.9")));

        // Rate limit only: the lists stay. Then the models are cleared and the fence kept.
        Assert.Equal(["sora-2"], (await Keys.UpdateLimitsAsync(record.Id, 5, null, Ct))!.AllowedModels!);
        var cleared = (await Keys.UpdateAsync(record.Id, new KeyPatch(5, null) { AllowedModels = new KeyList(null) }, Ct))!;
        Assert.Equal((null, 2), (cleared.AllowedModels, cleared.AllowedIps!.Count));
        Assert.Null((await Keys.FindActiveAsync(hash, Ct))!.Plan.AllowedModels);
        Assert.Null(await Keys.UpdateAsync("key_missing", new KeyPatch(null, null), Ct));
    }
}

/// <summary>The key store contract on SQLite.</summary>
public sealed class SqliteKeyStoreTests() : KeyStoreContract(new SqliteEngine());
