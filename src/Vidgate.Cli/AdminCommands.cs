using System.CommandLine;
using System.Globalization;
using Vidgate.Contracts;

namespace Vidgate.Cli;

/// <summary>
/// The admin commands (an admin key): <c>keys</c>, <c>accounts</c>, <c>top-up</c>, <c>providers</c>, <c>routes</c>.
/// Each lists when called bare; changes are subcommands.
/// </summary>
internal static class AdminCommands
{
    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(Keys());
        root.Subcommands.Add(Accounts());
        root.Subcommands.Add(TopUp());
        root.Subcommands.Add(Providers());
        root.Subcommands.Add(Routes());
    }

    private static Command Keys()
    {
        var keys = new Command("keys", "API keys (bare: list them).");
        keys.SetRun(async (parse, client, o, ct) =>
        {
            var list = await client.ListKeysAsync(ct);
            if (o.Json)
            {
                o.WriteJson(list, CliJson.Out.IReadOnlyListApiKeyInfo);
            }
            else
            {
                o.Table(["id", "name", "account", "prefix", "admin", "created", "revoked"],
                    list.Select(k => new[] { k.Id, k.Name, k.AccountId, k.Prefix, k.Admin ? "yes" : "", Output.When(k.CreatedAt), k.RevokedAt is { } r ? Output.When(r) : null }));
            }

            return ExitCodes.Ok;
        });

        var name = new Argument<string>("name") { Description = "What the key is for." };
        var account = new Option<string?>("--account") { Description = "The account it spends from (default: a new account)." };
        var rpm = new Option<int?>("--rpm") { Description = "Creates per minute for this key (narrows its tier's)." };
        var create = new Command("create", "Create a key; its secret is printed once.") { name, account, rpm };
        create.SetRun(async (parse, client, o, ct) =>
        {
            var created = await client.CreateKeyAsync(new CreateKeyRequest(parse.GetValue(name), parse.GetValue(account), parse.GetValue(rpm)), ct);
            if (o.Json)
            {
                o.WriteJson(created, CliJson.Out.ApiKeyCreated);
            }
            else
            {
                o.Fields(("id", created.Id), ("account", created.AccountId), ("key", created.Key));
                o.Note("the key is shown only now: keep it.");
            }

            return ExitCodes.Ok;
        });

        var id = new Argument<string>("id") { Description = "The key id." };
        var revoke = new Command("revoke", "Revoke a key (refused at once).") { id };
        revoke.SetRun(async (parse, client, o, ct) =>
        {
            var revoked = await client.RevokeKeyAsync(parse.GetValue(id)!, ct);
            if (o.Json)
            {
                o.WriteJson(revoked, CliJson.Out.ApiKeyInfo);
            }
            else
            {
                o.Line($"revoked {revoked.Id}");
            }

            return ExitCodes.Ok;
        });

        keys.Subcommands.Add(create);
        keys.Subcommands.Add(revoke);
        return keys;
    }

    private static Command Accounts()
    {
        var accounts = new Command("accounts", "Accounts and balances (bare: list them).");
        accounts.SetRun(async (parse, client, o, ct) =>
        {
            var list = await client.ListAccountsAsync(ct);
            if (o.Json)
            {
                o.WriteJson(list, CliJson.Out.IReadOnlyListAccountInfo);
            }
            else
            {
                o.Table(["id", "name", "tier", "balance", "held", "in flight"],
                    list.Select(a => new[] { a.Id, a.Name, a.Tier, a.Unmetered ? "unmetered" : Output.Money(a.BalanceMicros), Output.Money(a.HeldMicros), a.InFlight.ToString(CultureInfo.InvariantCulture) }));
            }

            return ExitCodes.Ok;
        });

        var name = new Argument<string>("name") { Description = "The account's name." };
        var tier = new Option<string?>("--tier") { Description = "Its tier (default: default)." };
        var unmetered = new Option<bool>("--unmetered") { Description = "Never charged." };
        var create = new Command("create", "Create an account.") { name, tier, unmetered };
        create.SetRun(async (parse, client, o, ct) =>
        {
            var account = await client.CreateAccountAsync(new CreateAccountRequest(parse.GetValue(name), parse.GetValue(tier), parse.GetValue(unmetered) ? true : null), ct);
            Account(o, account);
            return ExitCodes.Ok;
        });

        var id = new Argument<string>("id") { Description = "The account id." };
        var show = new Command("show", "One account, its balance checked against the ledger.") { id };
        show.SetRun(async (parse, client, o, ct) =>
        {
            Account(o, await client.GetAccountAsync(parse.GetValue(id)!, ct));
            return ExitCodes.Ok;
        });

        accounts.Subcommands.Add(create);
        accounts.Subcommands.Add(show);
        return accounts;
    }

    private static Command TopUp()
    {
        var account = new Argument<string>("account") { Description = "The account id." };
        var amount = new Argument<decimal>("amount") { Description = "How much, in currency units (10.50); exact to 6 decimals." };
        var reason = new Option<string>("--reason") { Description = "Kept in the ledger.", DefaultValueFactory = _ => "top-up (vidgate CLI)" };
        amount.Validators.Add(r =>
        {
            var value = r.GetValueOrDefault<decimal>();
            if (value <= 0 || decimal.Round(value * 1_000_000m) != value * 1_000_000m)
            {
                r.AddError("amount must be positive with at most 6 decimals.");
            }
        });
        var command = new Command("top-up", "Add credit to an account.") { account, amount, reason };
        command.SetRun(async (parse, client, o, ct) =>
        {
            var micros = (long)(parse.GetValue(amount) * 1_000_000m);
            Account(o, await client.TopUpAsync(parse.GetValue(account)!, micros, parse.GetValue(reason)!, ct));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Providers()
    {
        var providers = new Command("providers", "Remote provider instances (bare: list them).");
        providers.SetRun(async (parse, client, o, ct) =>
        {
            var list = await client.ListProvidersAsync(ct);
            if (o.Json)
            {
                o.WriteJson(list, CliJson.Out.IReadOnlyListProviderInfo);
            }
            else
            {
                o.Table(["id", "type", "base url", "keys", "max jobs", "req/s"],
                    list.Select(p => new[] { p.Id, p.Type, p.BaseUrl, p.ApiKeyCount.ToString(CultureInfo.InvariantCulture), p.MaxConcurrentJobs.ToString(CultureInfo.InvariantCulture), p.MaxRequestsPerSecond.ToString(CultureInfo.InvariantCulture) }));
            }

            return ExitCodes.Ok;
        });

        var id = new Argument<string>("id") { Description = "The provider id." };
        var delete = new Command("delete", "Remove a provider instance.") { id };
        delete.SetRun(async (parse, client, o, ct) =>
        {
            var deleted = await client.DeleteProviderAsync(parse.GetValue(id)!, ct);
            Deleted(o, deleted);
            return ExitCodes.Ok;
        });
        providers.Subcommands.Add(delete);
        return providers;
    }

    private static Command Routes()
    {
        var routes = new Command("routes", "Model routes to provider instances (bare: list them).");
        routes.SetRun(async (parse, client, o, ct) =>
        {
            var list = await client.ListRoutesAsync(ct);
            if (o.Json)
            {
                o.WriteJson(list, CliJson.Out.IReadOnlyListRouteInfo);
            }
            else
            {
                o.Table(["id", "model", "provider", "priority", "weight"],
                    list.Select(r => new[] { r.Id, r.Model, r.Provider, r.Priority.ToString(CultureInfo.InvariantCulture), r.Weight.ToString(CultureInfo.InvariantCulture) }));
            }

            return ExitCodes.Ok;
        });

        var model = new Option<string>("--model") { Description = "The model clients ask for.", Required = true };
        var provider = new Option<string>("--provider") { Description = "The provider instance that serves it.", Required = true };
        var priority = new Option<int?>("--priority") { Description = "Lower first (failover order)." };
        var weight = new Option<int?>("--weight") { Description = "Share among routes of equal priority." };
        var create = new Command("create", "Route a model to a provider instance.") { model, provider, priority, weight };
        create.SetRun(async (parse, client, o, ct) =>
        {
            var route = await client.CreateRouteAsync(new RouteRequest(parse.GetValue(model), parse.GetValue(provider), parse.GetValue(priority), parse.GetValue(weight)), ct);
            if (o.Json)
            {
                o.WriteJson(route, CliJson.Out.RouteInfo);
            }
            else
            {
                o.Fields(("id", route.Id), ("model", route.Model), ("provider", route.Provider), ("priority", route.Priority.ToString(CultureInfo.InvariantCulture)), ("weight", route.Weight.ToString(CultureInfo.InvariantCulture)));
            }

            return ExitCodes.Ok;
        });

        var id = new Argument<string>("id") { Description = "The route id." };
        var delete = new Command("delete", "Remove a route.") { id };
        delete.SetRun(async (parse, client, o, ct) =>
        {
            Deleted(o, await client.DeleteRouteAsync(parse.GetValue(id)!, ct));
            return ExitCodes.Ok;
        });
        routes.Subcommands.Add(create);
        routes.Subcommands.Add(delete);
        return routes;
    }

    private static void Account(Output o, AccountInfo account)
    {
        if (o.Json)
        {
            o.WriteJson(account, CliJson.Out.AccountInfo);
            return;
        }

        o.Fields(
            ("id", account.Id), ("name", account.Name), ("tier", account.Tier),
            ("balance", account.Unmetered ? "unmetered" : Output.Money(account.BalanceMicros)),
            ("held", Output.Money(account.HeldMicros)), ("in flight", account.InFlight.ToString(CultureInfo.InvariantCulture)));
    }

    private static void Deleted(Output o, VideoDeleted deleted)
    {
        if (o.Json)
        {
            o.WriteJson(deleted, CliJson.Out.VideoDeleted);
        }
        else
        {
            o.Line($"deleted {deleted.Id}");
        }
    }
}
