using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Vidgate.Tests.Billing;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Accounts;

/// <summary>The admin side of billing: accounts, balances with reasons, prices as data, tiers, usage reports.</summary>
public sealed class AccountAdminTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly VidgateApp _app = new(settings: new() { ["Vidgate:Workers"] = "false" });

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task A_new_key_gets_its_own_account_with_the_configured_initial_credit_in_the_ledger()
    {
        var (_, account) = await _app.NewKeyAsync("fresh");

        var state = await Books.ReadAsync(_app, account);
        var ledger = await Books.LedgerAsync(_app, account);

        Assert.Equal(5_000_000, state.Balance);
        Assert.Equal(5_000_000, ledger["credit"]);
    }

    [Fact]
    public async Task The_bootstrap_admin_is_unmetered_and_never_refused_for_balance()
    {
        using var admin = _app.Admin();
        for (var i = 0; i < 12; i++)
        {
            await Api.OkJsonAsync(await admin.PostJsonAsync("/v1/videos", Api.SeedBody));
        }

        var usage = await Api.OkJsonAsync(await admin.GetAsync("/v1/usage", Ct));
        Assert.Equal((-12 * 560_000L, 12 * 560_000L), (usage.GetProperty("balance_micros").GetInt64(), usage.GetProperty("held_micros").GetInt64()));
    }

    [Fact]
    public async Task Top_ups_and_adjustments_need_a_reason_and_never_overdraw()
    {
        var (_, account) = await _app.NewKeyAsync("money");
        using var admin = _app.Admin();

        var noReason = await admin.PostAsJsonAsync($"/admin/accounts/{account}/top-up", new { amount_micros = 1 }, Ct);
        var negativeTopUp = await admin.PostAsJsonAsync($"/admin/accounts/{account}/top-up", new { amount_micros = -1, reason = "x" }, Ct);
        var overdraw = await admin.PostAsJsonAsync($"/admin/accounts/{account}/adjust", new { amount_micros = -5_000_001, reason = "too much" }, Ct);
        var fractional = await admin.PostJsonAsync($"/admin/accounts/{account}/top-up", """{"amount_micros": 1.5, "reason": "x"}""");
        var adjusted = await Api.OkJsonAsync(await admin.PostAsJsonAsync($"/admin/accounts/{account}/adjust", new { amount_micros = -1_000_000, reason = "refund by card" }, Ct));
        var missing = await admin.PostAsJsonAsync("/admin/accounts/acct_nope/top-up", new { amount_micros = 1, reason = "x" }, Ct);

        await Api.ErrorAsync(noReason, HttpStatusCode.BadRequest);
        await Api.ErrorAsync(negativeTopUp, HttpStatusCode.BadRequest);
        await Api.ErrorAsync(fractional, HttpStatusCode.BadRequest);
        Assert.Equal("balance_would_go_negative", (await Api.ErrorAsync(overdraw, HttpStatusCode.Conflict)).GetProperty("code").GetString());
        await Api.ErrorAsync(missing, HttpStatusCode.NotFound);
        Assert.Equal(4_000_000, adjusted.GetProperty("balance_micros").GetInt64());
        var page = await Api.OkJsonAsync(await admin.GetAsync($"/admin/accounts/{account}/ledger", Ct));
        Assert.Contains(page.GetProperty("data").EnumerateArray(), e => e.GetProperty("reason").GetString() == "refund by card");
    }

    [Fact]
    public async Task A_key_for_an_existing_account_shares_its_balance()
    {
        using var admin = _app.Admin();
        var account = await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/accounts", new { name = "team", tier = "default" }, Ct));
        var id = account.GetProperty("id").GetString()!;
        await _app.TopUpAsync(id, 1_000_000);

        var (key, keyAccount) = await _app.NewKeyAsync("member", new { name = "member", account_id = id });
        using var client = _app.Client(key);
        await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos", Api.SeedBody));

        Assert.Equal(id, keyAccount);
        Assert.Equal((1_000_000 - 560_000, 560_000L), ((await Books.ReadAsync(_app, id)).Balance, (await Books.ReadAsync(_app, id)).Held));
        await Api.ErrorAsync(await admin.PostAsJsonAsync("/admin/keys", new { name = "x", account_id = "acct_nope" }, Ct), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Prices_are_data_and_models_show_the_callers_own_price()
    {
        using var admin = _app.Admin();
        await Books.PutTierAsync(_app, "resale", new { price_multiplier = 1.5 });
        var (key, account) = await _app.NewKeyAsync("reseller");
        await Books.SetTierAsync(_app, account, "resale");
        using var client = _app.Client(key);

        await Api.OkJsonAsync(await admin.PutAsJsonAsync("/admin/prices", new { model = "grok-imagine-video", resolution = 720, per_second_micros = 80_000, per_image_micros = 2_000 }, Ct));
        var models = await Api.OkJsonAsync(await client.GetAsync("/v1/models", Ct));
        await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos", Api.SeedBody));

        var grok = models.GetProperty("data").EnumerateArray().Single(m => m.GetProperty("id").GetString() == "grok-imagine-video");
        var p720 = grok.GetProperty("pricing").EnumerateArray().Single(p => p.GetProperty("resolution").GetString() == "720P");
        Assert.Equal((120_000, 3_000), (p720.GetProperty("per_second_micros").GetInt64(), p720.GetProperty("per_image_micros").GetInt64()));
        Assert.Equal(8 * 120_000, (await Books.ReadAsync(_app, account)).Held);
        await Api.ErrorAsync(await admin.PutAsJsonAsync("/admin/prices", new { model = "nope", resolution = 720, per_second_micros = 1 }, Ct), HttpStatusCode.BadRequest);
        await Api.ErrorAsync(await admin.PutAsJsonAsync("/admin/prices", new { model = "sora-2", resolution = 720, per_second_micros = -1 }, Ct), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_model_without_a_price_cannot_be_used()
    {
        using var admin = _app.Admin();
        await Api.OkJsonAsync(await admin.DeleteAsync("/admin/prices/sora-2/720", Ct));
        using var client = await _app.NewUserAsync();

        var error = await Api.ErrorAsync(await client.PostJsonAsync("/v1/videos", """{"model":"sora-2","prompt":"x","size":"1280x720"}"""), HttpStatusCode.Forbidden);
        var models = await Api.OkJsonAsync(await client.GetAsync("/v1/models", Ct));

        Assert.Equal("model_not_priced", error.GetProperty("code").GetString());
        Assert.DoesNotContain(models.GetProperty("data").EnumerateArray(), m => m.GetProperty("id").GetString() == "sora-2");
    }

    [Fact]
    public async Task Usage_is_reported_per_account_key_model_and_day_in_json_and_csv()
    {
        var (key, account) = await _app.NewKeyAsync("reporter");
        using var client = _app.Client(key);
        var id = (await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos", Api.SeedBody))).GetProperty("id").GetString()!;
        await Api.OkJsonAsync(await client.PostAsync($"/v1/videos/{id}/cancel", null, Ct));
        await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos", Api.SeedBody));
        using var admin = _app.Admin();

        var own = await Api.OkJsonAsync(await client.GetAsync("/v1/usage", Ct));
        var row = own.GetProperty("data").EnumerateArray().Single();
        using var csvRequest = new HttpRequestMessage(HttpMethod.Get, $"/admin/usage?account_id={account}");
        csvRequest.Headers.Accept.ParseAdd("text/csv");
        var csv = await admin.SendAsync(csvRequest, Ct);
        var csvText = await csv.Content.ReadAsStringAsync(Ct);

        Assert.Equal((2, 1, 1, 560_000L, 560_000L), (row.GetProperty("tasks").GetInt32(), row.GetProperty("cancelled").GetInt32(),
            row.GetProperty("in_flight").GetInt32(), row.GetProperty("refunded_micros").GetInt64(), row.GetProperty("held_micros").GetInt64()));
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var lines = csvText.TrimEnd('\n').Split('\n');
        Assert.StartsWith("account_id,key_id,model,day,tasks", lines[0], StringComparison.Ordinal);
        Assert.Equal(2, lines.Length);
        Assert.Contains($"{account},", lines[1], StringComparison.Ordinal);
        await Api.ErrorAsync(await client.GetAsync("/admin/usage", Ct), HttpStatusCode.Forbidden);
        await Api.ErrorAsync(await admin.GetAsync("/admin/usage?from=yesterday", Ct), HttpStatusCode.BadRequest);
        Assert.Equal("text/csv", (await admin.GetAsync("/admin/usage?format=csv", Ct)).Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_keys_own_limits_can_be_changed_and_are_listed()
    {
        using var admin = _app.Admin();
        var created = await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/keys", new { name = "limited" }, Ct));
        var id = created.GetProperty("id").GetString()!;

        var changed = await Api.OkJsonAsync(await admin.PatchAsJsonAsync($"/admin/keys/{id}", new { requests_per_minute = 7, expires_at = 4102444800 }, Ct));
        var listed = (await Api.OkJsonAsync(await admin.GetAsync("/admin/keys", Ct))).GetProperty("data").EnumerateArray()
            .Single(k => k.GetProperty("id").GetString() == id);

        Assert.Equal((7, 4102444800L), (changed.GetProperty("requests_per_minute").GetInt32(), changed.GetProperty("expires_at").GetInt64()));
        Assert.Equal(7, listed.GetProperty("requests_per_minute").GetInt32());
        await Api.ErrorAsync(await admin.PatchAsJsonAsync($"/admin/keys/{id}", new { requests_per_minute = 0 }, Ct), HttpStatusCode.BadRequest);
        await Api.ErrorAsync(await admin.PatchAsJsonAsync("/admin/keys/key_nope", new { requests_per_minute = 1 }, Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_ledger_pages_in_order_and_never_changes()
    {
        var (_, account) = await _app.NewKeyAsync("pages");
        for (var i = 1; i <= 3; i++)
        {
            await _app.TopUpAsync(account, i, $"top-up {i}");
        }

        using var admin = _app.Admin();
        var first = await Api.OkJsonAsync(await admin.GetAsync($"/admin/accounts/{account}/ledger?limit=2", Ct));
        var last = first.GetProperty("data").EnumerateArray().Last().GetProperty("seq").GetInt64();
        var second = await Api.OkJsonAsync(await admin.GetAsync($"/admin/accounts/{account}/ledger?limit=2&after={last}", Ct));

        Assert.True(first.GetProperty("has_more").GetBoolean());
        Assert.Equal(["initial credit", "top-up 1"], first.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("reason").GetString()));
        Assert.Equal(["top-up 2", "top-up 3"], second.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("reason").GetString()));
        await Api.ErrorAsync(await admin.GetAsync($"/admin/accounts/{account}/ledger?limit=0", Ct), HttpStatusCode.BadRequest);

        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_app.DataDir, "vidgate.db")}");
        db.Open();
        using var tamper = db.CreateCommand();
        tamper.CommandText = "UPDATE ledger SET amount = 0;";
        Assert.Throws<Microsoft.Data.Sqlite.SqliteException>(() => tamper.ExecuteNonQuery());
    }

    [Fact]
    public async Task Tier_input_is_validated()
    {
        using var admin = _app.Admin();

        await Api.ErrorAsync(await admin.PutAsJsonAsync("/admin/tiers/x", new { price_multiplier = -1 }, Ct), HttpStatusCode.BadRequest);
        await Api.ErrorAsync(await admin.PutAsJsonAsync("/admin/tiers/x", new { max_in_flight = 0 }, Ct), HttpStatusCode.BadRequest);
        await Api.ErrorAsync(await admin.PutAsJsonAsync("/admin/tiers/x", new { allowed_models = new[] { "nope" } }, Ct), HttpStatusCode.BadRequest);
        await Api.ErrorAsync(await admin.PutAsync("/admin/tiers/x", new StringContent("not json"), Ct), HttpStatusCode.BadRequest);
        await Api.ErrorAsync(await admin.PatchAsJsonAsync("/admin/accounts/acct_x", new { tier = "nope" }, Ct), HttpStatusCode.BadRequest);
        var tiers = await Api.OkJsonAsync(await admin.GetAsync("/admin/tiers", Ct));
        Assert.Contains(tiers.GetProperty("data").EnumerateArray(), t => t.GetProperty("id").GetString() == "default");
    }
}
