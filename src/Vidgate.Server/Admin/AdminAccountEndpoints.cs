using System.Globalization;
using Vidgate.Contracts;
using Vidgate.Server.Accounts;
using Vidgate.Server.Billing;

namespace Vidgate.Server.Admin;

/// <summary>
/// <c>/admin/accounts</c>: create, list, read (with the balance recomputed from the ledger), change tier or name,
/// top up, adjust, and page through the ledger. Amounts are integer micro-units.
/// </summary>
internal static class AdminAccountEndpoints
{
    private const int MaxLedgerPage = 1000;

    public static RouteGroupBuilder MapAdminAccounts(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/admin/accounts").RequireCaller(admin: true);
        group.MapPost("", Create)
            .WithVidgateDocs("Admin: accounts", "Create an account", DocAuth.AdminKey, 400)
            .Takes(RouteDocs.Json, null, typeof(CreateAccountRequest)).Produces<AccountInfo>();
        group.MapGet("", List).WithVidgateDocs("Admin: accounts", "List the accounts", DocAuth.AdminKey).Produces<ListOf<AccountInfo>>();
        group.MapGet("/{id}", Get)
            .WithVidgateDocs("Admin: accounts", "Get an account with its balance", DocAuth.AdminKey, 404).Produces<AccountInfo>();
        group.MapPatch("/{id}", Update)
            .WithVidgateDocs("Admin: accounts", "Change an account's name, tier or metering", DocAuth.AdminKey, 400, 404)
            .Takes(RouteDocs.Json, null, typeof(UpdateAccountRequest)).Produces<AccountInfo>();
        group.MapPost("/{id}/top-up", (string id, HttpRequest request, IBillingStore store, ApiKeys keys, CancellationToken ct)
            => ChangeAsync(id, "credit", request, store, keys, ct))
            .WithVidgateDocs("Admin: accounts", "Add credit to an account", DocAuth.AdminKey, 400, 404).Takes(RouteDocs.Json, null, typeof(BalanceChangeRequest)).Produces<AccountInfo>();
        group.MapPost("/{id}/adjust", (string id, HttpRequest request, IBillingStore store, ApiKeys keys, CancellationToken ct)
            => ChangeAsync(id, "adjust", request, store, keys, ct))
            .WithVidgateDocs("Admin: accounts", "Adjust a balance up or down (never below zero)", DocAuth.AdminKey, 400, 404, 409).Takes(RouteDocs.Json, null, typeof(BalanceChangeRequest)).Produces<AccountInfo>();
        group.MapGet("/{id}/ledger", Ledger)
            .WithVidgateDocs("Admin: accounts", "Page through an account's ledger", DocAuth.AdminKey, 400, 404).Produces<LedgerPage>();
        return group;
    }

    private static async Task<IResult> Create(HttpRequest request, IBillingStore store, CancellationToken ct)
    {
        var (body, error) = await AdminJson.ReadAsync(request, ContractsJson.Wire.CreateAccountRequest, ct);
        var name = body?.Name?.Trim();
        if (error is null && string.IsNullOrEmpty(name))
        {
            error = ApiError.Invalid("name", "Give the account a name: {\"name\": \"...\"}.", "missing_field");
        }

        if (error is not null)
        {
            return error.ToResult();
        }

        var account = await store.CreateAccountAsync(name!, body!.Tier ?? "default", body.Unmetered ?? false, ct);
        return account is null ? TierNotFound(body.Tier!).ToResult() : Json(account, null);
    }

    private static async Task<IResult> List(IBillingStore store, CancellationToken ct)
        => TypedResults.Json(new ListOf<AccountInfo>("list", [.. (await store.ListAccountsAsync(ct)).Select(a => Info(a, null))]), ContractsJson.Wire.ListOfAccountInfo);

    private static async Task<IResult> Get(string id, IBillingStore store, CancellationToken ct)
        => await store.GetAccountWithLedgerAsync(id, ct) is var (account, ledgerBalance)
            ? Json(account, ledgerBalance)
            : NotFound(id).ToResult();

    private static async Task<IResult> Update(string id, HttpRequest request, IBillingStore store, ApiKeys keys, CancellationToken ct)
    {
        var (body, error) = await AdminJson.ReadAsync(request, ContractsJson.Wire.UpdateAccountRequest, ct);
        if (error is not null)
        {
            return error.ToResult();
        }

        var (account, tierMissing) = await store.UpdateAccountAsync(id, body!.Name?.Trim() is { Length: > 0 } n ? n : null, body.Tier, body.Unmetered, ct);
        keys.Forget();
        return tierMissing ? TierNotFound(body.Tier!).ToResult() : account is null ? NotFound(id).ToResult() : Json(account, null);
    }

    private static async Task<IResult> ChangeAsync(string id, string kind, HttpRequest request, IBillingStore store, ApiKeys keys, CancellationToken ct)
    {
        var (body, error) = await AdminJson.ReadAsync(request, ContractsJson.Wire.BalanceChangeRequest, ct);
        error ??= body!.AmountMicros switch
        {
            null => ApiError.Invalid("amount_micros", "Give amount_micros: an integer number of micro-units (1.00 = 1000000).", "missing_field"),
            <= 0 when kind == "credit" => ApiError.Invalid("amount_micros", "A top-up must be positive; use /adjust to take money off."),
            0 => ApiError.Invalid("amount_micros", "An adjustment of 0 changes nothing."),
            _ => AdminJson.Reason(body.Reason),
        };
        if (error is not null)
        {
            return error.ToResult();
        }

        var (result, account) = await store.ChangeBalanceAsync(id, kind, body!.AmountMicros!.Value, body.Reason!.Trim(), ct);
        keys.Forget();
        return result switch
        {
            BalanceChange.Done => Json(account!, null),
            BalanceChange.NoAccount => NotFound(id).ToResult(),
            BalanceChange.WouldGoNegative => ApiError.Conflict(
                "balance_would_go_negative", $"The account has {Money.Format(account!.Balance)} available; this adjustment would take it below zero.").ToResult(),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
    }

    private static async Task<IResult> Ledger(string id, string? after, string? limit, IBillingStore store, CancellationToken ct)
    {
        long afterSeq = 0;
        var size = 100;
        if (after is not null && !long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out afterSeq))
        {
            return ApiError.Invalid("after", "'after' is the seq of the last entry you have.").ToResult();
        }

        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxLedgerPage))
        {
            return ApiError.Invalid("limit", $"'limit' must be a whole number from 1 to {MaxLedgerPage}.", "invalid_limit").ToResult();
        }

        if (await store.GetAccountAsync(id, ct) is null)
        {
            return NotFound(id).ToResult();
        }

        var (page, hasMore) = await store.LedgerAsync(id, afterSeq, size, ct);
        var entries = page.Select(e => new LedgerEntryInfo(e.Seq, "ledger_entry", e.AccountId, e.Kind, e.Amount, e.TaskId, e.Reason, e.CreatedAt.ToUnixTimeSeconds()));
        return TypedResults.Json(new LedgerPage("list", [.. entries], hasMore), ContractsJson.Wire.LedgerPage);
    }

    private static IResult Json(Account account, long? ledgerBalance) => TypedResults.Json(Info(account, ledgerBalance), ContractsJson.Wire.AccountInfo);

    private static AccountInfo Info(Account a, long? ledgerBalance)
        => new(a.Id, "account", a.Name, a.TierId, a.Unmetered, a.Balance, a.Held, a.InFlight, a.CreatedAt.ToUnixTimeSeconds(), ledgerBalance);

    private static ApiError NotFound(string id) => ApiError.NotFound($"No account with id '{id}'.", "account_not_found");

    private static ApiError TierNotFound(string tier) => ApiError.Invalid("tier", $"No tier '{tier}'. PUT /admin/tiers/{tier} creates it.", "tier_not_found");
}
