using System.Net.Http.Json;
using System.Text.Json;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Billing;

/// <summary>Reads an account's money through the admin API and checks the ledger invariant on every read.</summary>
internal static class Books
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public sealed record State(long Balance, long Held, int InFlight, long LedgerBalance);

    public static async Task<State> ReadAsync(VidgateApp app, string accountId)
    {
        using var admin = app.Admin();
        var account = await Api.OkJsonAsync(await admin.GetAsync($"/admin/accounts/{accountId}", Ct));
        var state = new State(
            account.GetProperty("balance_micros").GetInt64(), account.GetProperty("held_micros").GetInt64(),
            account.GetProperty("in_flight").GetInt32(), account.GetProperty("ledger_balance_micros").GetInt64());

        // Balances can be recomputed: the running balance and the ledger minus open holds never disagree.
        Assert.Equal(state.LedgerBalance, state.Balance);
        return state;
    }

    /// <summary>Sums of the account's ledger by kind.</summary>
    public static async Task<Dictionary<string, long>> LedgerAsync(VidgateApp app, string accountId)
    {
        using var admin = app.Admin();
        var page = await Api.OkJsonAsync(await admin.GetAsync($"/admin/accounts/{accountId}/ledger?limit=1000", Ct));
        Assert.False(page.GetProperty("has_more").GetBoolean());
        return page.GetProperty("data").EnumerateArray()
            .GroupBy(e => e.GetProperty("kind").GetString()!)
            .ToDictionary(g => g.Key, g => g.Sum(e => e.GetProperty("amount_micros").GetInt64()));
    }

    public static async Task<JsonElement> PutTierAsync(VidgateApp app, string id, object tier)
    {
        using var admin = app.Admin();
        return await Api.OkJsonAsync(await admin.PutAsJsonAsync($"/admin/tiers/{id}", tier, Ct));
    }

    public static async Task SetTierAsync(VidgateApp app, string accountId, string tier)
    {
        using var admin = app.Admin();
        await Api.OkJsonAsync(await admin.PatchAsJsonAsync($"/admin/accounts/{accountId}", new { tier }, Ct));
    }

    /// <summary>Polls until the task is finished (completed, failed or cancelled).</summary>
    public static async Task<JsonElement> FinishedAsync(HttpClient client, string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var video = await client.GetVideoAsync(id);
            if (video.GetProperty("status").GetString() is "completed" or "failed" or "cancelled")
            {
                return video;
            }

            Assert.True(DateTime.UtcNow < deadline, $"task {id} never finished: {video}");
            await Task.Delay(20, Ct);
        }
    }
}
