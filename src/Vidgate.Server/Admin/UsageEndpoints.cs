using System.Globalization;
using System.Text;
using Vidgate.Contracts;
using Vidgate.Server.Accounts;
using Vidgate.Server.Billing;

namespace Vidgate.Server.Admin;

/// <summary>
/// Usage by account, key, model and UTC day: <c>GET /v1/usage</c> (the caller's own account) and
/// <c>GET /admin/usage</c> (everyone, filterable). JSON, or CSV with <c>?format=csv</c> or <c>Accept: text/csv</c>.
/// The admin report adds, after the users' columns, what the upstreams said those videos cost us
/// (<c>upstream_cost_usd</c>, exact decimal USD) and how many tasks that sum covers (<c>upstream_cost_tasks</c>);
/// users never see it.
/// </summary>
internal static class UsageEndpoints
{
    private const string CsvHeader =
        "account_id,key_id,model,day,tasks,completed,failed,cancelled,other,in_flight,seconds_generated,charged_micros,refunded_micros,held_micros";

    private const string AdminCsvHeader = CsvHeader + ",upstream_cost_usd,upstream_cost_tasks";

    public static IEndpointRouteBuilder MapUsage(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/v1/usage").RequireCaller().MapGet("", Own)
            .WithVidgateDocs("Usage", "Your account's usage and balance (JSON, or CSV with format=csv or Accept: text/csv)", DocAuth.Key, 400)
            .Produces<UsageReport>().Returns(200, "text/csv");
        routes.MapGroup("/admin/usage").RequireCaller(admin: true).MapGet("", All)
            .WithVidgateDocs("Admin: usage", "Usage of every account (JSON or CSV)", DocAuth.AdminKey, 400)
            .Produces<AdminUsageReport>().Returns(200, "text/csv");
        return routes;
    }

    private static async Task<IResult> Own(HttpContext http, string? from, string? to, string? model, string? format, IBillingStore store, CancellationToken ct)
    {
        var caller = http.Caller();
        var (filter, error) = Filter(caller.AccountId, null, model, from, to);
        if (error is not null)
        {
            return error.ToResult();
        }

        var rows = (await store.UsageAsync(filter!, ct)).Select(line => line.Row).ToList();
        var account = await store.GetAccountAsync(caller.AccountId, ct);
        return Render(http, format, new UsageReport("usage", caller.AccountId, account?.Balance, account?.Held, rows));
    }

    private static async Task<IResult> All(
        HttpContext http, string? account_id, string? key_id, string? model, string? from, string? to, string? format, IBillingStore store, CancellationToken ct)
    {
        var (filter, error) = Filter(account_id, key_id, model, from, to);
        if (error is not null)
        {
            return error.ToResult();
        }

        var lines = await store.UsageAsync(filter!, ct);
        if (!WantsCsv(http, format, out var formatError))
        {
            return formatError ?? TypedResults.Json(
                new AdminUsageReport("usage", account_id, null, null, lines.Select(AdminUsageRow.From).ToList()), AdminUsageJson.Wire.AdminUsageReport);
        }

        var text = new StringBuilder(AdminCsvHeader).Append('\n');
        foreach (var line in lines)
        {
            AppendRow(text, line.Row).Append(CultureInfo.InvariantCulture, $",{line.UpstreamCost.Usd},{line.UpstreamCost.Tasks}\n");
        }

        return TypedResults.Text(text.ToString(), "text/csv; charset=utf-8");
    }

    private static (UsageFilter? Filter, ApiError? Error) Filter(string? account, string? key, string? model, string? from, string? to)
    {
        DateOnly? first = null, last = null;
        foreach (var (name, text) in new[] { ("from", from), ("to", to) })
        {
            if (string.IsNullOrEmpty(text))
            {
                continue;
            }

            if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                return (null, ApiError.Invalid(name, $"'{name}' is a UTC day, yyyy-MM-dd (inclusive)."));
            }

            if (name == "from")
            {
                first = day;
            }
            else
            {
                last = day;
            }
        }

        return (new UsageFilter(Blank(account), Blank(key), Blank(model), first, last), null);
    }

    private static string? Blank(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static IResult Render(HttpContext http, string? format, UsageReport report)
    {
        if (!WantsCsv(http, format, out var formatError))
        {
            return formatError ?? TypedResults.Json(report, ContractsJson.Wire.UsageReport);
        }

        var text = new StringBuilder(CsvHeader).Append('\n');
        foreach (var r in report.Data)
        {
            AppendRow(text, r).Append('\n');
        }

        return TypedResults.Text(text.ToString(), "text/csv; charset=utf-8");
    }

    /// <summary>CSV with <c>?format=csv</c> or <c>Accept: text/csv</c>; JSON otherwise; another <c>format</c> is a 400.</summary>
    private static bool WantsCsv(HttpContext http, string? format, out IResult? error)
    {
        error = null;
        if (format == "csv" || (format is null && http.Request.Headers.Accept.ToString().Contains("text/csv", StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        if (format is not (null or "json"))
        {
            error = ApiError.Invalid("format", "'format' is json or csv.").ToResult();
        }

        return false;
    }

    /// <summary>The users' columns of one row, without the line end.</summary>
    private static StringBuilder AppendRow(StringBuilder text, UsageRow r) => text.Append(CultureInfo.InvariantCulture,
        $"{Field(r.AccountId)},{Field(r.KeyId)},{Field(r.Model)},{r.Day},{r.Tasks},{r.Completed},{r.Failed},{r.Cancelled},{r.Other},{r.InFlight},{r.SecondsGenerated},{r.ChargedMicros},{r.RefundedMicros},{r.HeldMicros}");

    // Ids and model names are ours, but quote anything that could break a row or be read as a formula.
    private static string Field(string value)
        => value.IndexOfAny([',', '"', '\n', '\r']) >= 0 || value.StartsWith('=') || value.StartsWith('+') || value.StartsWith('-') || value.StartsWith('@')
            ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : value;
}

/// <summary>
/// An admin usage row: the users' <see cref="UsageRow"/> fields, in the same order and meaning, then the upstream cost:
/// <see cref="UpstreamCostUsd"/> exact decimal USD (ten digits after the point, a string so no client rounds it through
/// a float) summed over the <see cref="UpstreamCostTasks"/> tasks whose upstream reported a cost.
/// </summary>
internal sealed record AdminUsageRow(
    string AccountId, string KeyId, string Model, string Day, int Tasks, int Completed, int Failed, int Cancelled, int Other, int InFlight,
    long SecondsGenerated, long ChargedMicros, long RefundedMicros, long HeldMicros, string UpstreamCostUsd, int UpstreamCostTasks)
{
    public static AdminUsageRow From(UsageLine line)
    {
        var r = line.Row;
        return new AdminUsageRow(r.AccountId, r.KeyId, r.Model, r.Day, r.Tasks, r.Completed, r.Failed, r.Cancelled, r.Other, r.InFlight,
            r.SecondsGenerated, r.ChargedMicros, r.RefundedMicros, r.HeldMicros, line.UpstreamCost.Usd, line.UpstreamCost.Tasks);
    }
}

/// <summary><c>GET /admin/usage</c>: the shape of <see cref="UsageReport"/> with <see cref="AdminUsageRow"/> rows.</summary>
internal sealed record AdminUsageReport(string Object, string? AccountId, long? BalanceMicros, long? HeldMicros, IReadOnlyList<AdminUsageRow> Data);

/// <summary>Serialization of the admin usage report, with the same settings as <see cref="ContractsJson.Wire"/>.</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(AdminUsageReport))]
internal sealed partial class AdminUsageJson : System.Text.Json.Serialization.JsonSerializerContext
{
    public static AdminUsageJson Wire { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
