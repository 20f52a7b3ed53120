using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Vidgate.Server.Tasks;
using Vidgate.Server.Workers;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Billing;

/// <summary>
/// Every way a task can end leaves the money exact: the balance plus what is held plus what was charged equals what was
/// put in, the hold is closed once, and only delivered seconds are paid for.
/// </summary>
public sealed class BillingMatrixTests : IDisposable
{
    private const long TopUp = 10_000_000;
    private const long PerSecond720 = 70_000;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ScriptedProvider _provider = new();
    private readonly VidgateApp _app;

    public BillingMatrixTests() => _app = new VidgateApp(services: ScriptedProvider.Replace(_provider));

    public void Dispose() => _app.Dispose();

    [Theory]
    [InlineData("a calm lake", "completed", 8 * PerSecond720)]
    [InlineData("a calm lake short:5", "completed", 5 * PerSecond720)]
    [InlineData("please fail at submit", "failed", 0)]
    [InlineData("crash while rendering", "failed", 0)]
    public async Task An_outcome_charges_exactly_what_was_delivered_and_releases_the_rest(string prompt, string status, long charged)
    {
        var (client, account) = await NewPayingUserAsync();

        var id = await CreateAsync(client, prompt, seconds: 8);
        var held = await Books.ReadAsync(_app, account);
        var done = await Books.FinishedAsync(client, id);

        Assert.Equal(status, done.GetProperty("status").GetString());
        Assert.Equal((TopUp - (8 * PerSecond720), 8 * PerSecond720, 1), (held.Balance, held.Held, held.InFlight));
        await AssertSettledAsync(account, charged);
    }

    [Fact]
    public async Task Cancelling_a_running_task_stops_the_work_and_refunds_all()
    {
        var (client, account) = await NewPayingUserAsync();
        var id = await CreateAsync(client, "hang until cancelled", seconds: 8);
        await client.WaitForAsync(id, "processing");

        var response = await client.PostAsync($"/v1/videos/{id}/cancel", null, Ct);

        Assert.Equal("cancelled", (await Api.OkJsonAsync(response)).GetProperty("status").GetString());
        await AssertSettledAsync(account, 0);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!_provider.CancelledWork.ContainsKey(id))
        {
            Assert.True(DateTime.UtcNow < deadline, "the work was not stopped");
            await Task.Delay(20, Ct);
        }
    }

    [Fact]
    public async Task Cancelling_twice_or_deleting_after_cancel_refunds_once()
    {
        var (client, account) = await NewPayingUserAsync();
        var id = await CreateAsync(client, "hang until cancelled", seconds: 4);
        await client.WaitForAsync(id, "processing");

        var cancels = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => client.PostAsync($"/v1/videos/{id}/cancel", null, Ct)));
        await client.DeleteAsync($"/v1/videos/{id}", Ct);

        Assert.Single(cancels, r => r.IsSuccessStatusCode);
        await AssertSettledAsync(account, 0);
        Assert.False((await Books.LedgerAsync(_app, account)).ContainsKey("charge"));
    }

    [Fact]
    public async Task A_late_completion_from_a_node_that_lost_its_lease_charges_nothing_more()
    {
        var (client, account) = await NewPayingUserAsync();
        var id = await CreateAsync(client, "a calm lake short:3", seconds: 6);
        await Books.FinishedAsync(client, id);
        var store = _app.Service<ITaskStore>();

        var late = await store.CompleteAsync(id, "some-other-node", DateTimeOffset.UtcNow, null, 6, Ct);
        var lateFail = await store.FailAsync(id, "some-other-node", "x", "y", DateTimeOffset.UtcNow, Ct);

        Assert.False(late);
        Assert.False(lateFail);
        await AssertSettledAsync(account, 3 * PerSecond720);
    }

    private async Task AssertSettledAsync(string account, long charged)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        Books.State state;
        while ((state = await Books.ReadAsync(_app, account)).InFlight != 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the hold was never closed");
            await Task.Delay(20, Ct);
        }

        var ledger = await Books.LedgerAsync(_app, account);
        Assert.Equal((TopUp - charged, 0L, 0), (state.Balance, state.Held, state.InFlight));
        Assert.Equal(-charged, ledger.GetValueOrDefault("charge"));

        // initial + top-ups − charges − holds = balance
        Assert.Equal(state.Balance, ledger["credit"] + ledger.GetValueOrDefault("charge") - state.Held);
    }

    private async Task<(HttpClient Client, string Account)> NewPayingUserAsync()
    {
        // No initial credit here (see the settings of other tests): exactly one top-up of TopUp.
        var (key, account) = await _app.NewKeyAsync("payer");
        var initial = await Books.ReadAsync(_app, account);
        if (initial.Balance < TopUp)
        {
            await _app.TopUpAsync(account, TopUp - initial.Balance);
        }

        return (_app.Client(key), account);
    }

    private static async Task<string> CreateAsync(HttpClient client, string prompt, int seconds)
        => (await client.CreateAsync(new { model = "grok-imagine-video", prompt, seconds, resolution = "720P" })).GetProperty("id").GetString()!;
}
