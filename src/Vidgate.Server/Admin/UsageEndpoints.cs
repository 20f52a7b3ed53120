using System.Globalization;
using System.Text;
using Vidgate.Contracts;
using Vidgate.Server.Accounts;
using Vidgate.Server.Billing;
using Vidgate.Server.Hosting;

namespace Vidgate.Server.Admin;

/// <summary>
/// Usage by account, key, model and UTC day: <c>GET /v1/usage</c> (the caller's own account) and
/// <c>GET /admin/usage</c> (everyone, filterable). JSON, or CSV with <c>?format=csv</c> or <c>Accept: text/csv</c>.
/// </summary>
internal static class UsageEndpoints
{
    private const string CsvHeader =
        "account_id,key_id,model,day,tasks,completed,failed,cancelled,other,in_flight,seconds_generated,charged_micros,refunded_micros,held_micros";

    public static IEndpointRouteBuilder MapUsage(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/v1/usage").RequireCaller().MapGet("", Own);
        routes.MapGroup("/admin/usage").RequireCaller(admin: true).MapGet("", All);
        return routes;
    }

    private static async Task<IResult> Own(HttpContext http, string? from, string? to, string? model, string? format, BillingStore store, CancellationToken ct)
    {
        var caller = http.Caller();
        var (filter, error) = Filter(caller.AccountId, null, model, from, to);
        if (error is not null)
        {
            return error.ToResult();
        }

        var rows = await store.UsageAsync(filter!, ct);
        var account = await store.GetAccountAsync(caller.AccountId, ct);
        return Render(http, format, new UsageReport("usage", caller.AccountId, account?.Balance, account?.Held, rows));
    }

    private static async Task<IResult> All(
        HttpContext http, string? account_id, string? key_id, string? model, string? from, string? to, string? format, BillingStore store, CancellationToken ct)
    {
        var (filter, error) = Filter(account_id, key_id, model, from, to);
        return error is not null ? error.ToResult() : Render(http, format, new UsageReport("usage", account_id, null, null, await store.UsageAsync(filter!, ct)));
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
        var csv = format == "csv" || (format is null && http.Request.Headers.Accept.ToString().Contains("text/csv", StringComparison.OrdinalIgnoreCase));
        if (!csv)
        {
            return format is null or "json"
                ? TypedResults.Json(report, ContractsJson.Wire.UsageReport)
                : ApiError.Invalid("format", "'format' is json or csv.").ToResult();
        }

        var text = new StringBuilder(CsvHeader).Append('\n');
        foreach (var r in report.Data)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"{Field(r.AccountId)},{Field(r.KeyId)},{Field(r.Model)},{r.Day},{r.Tasks},{r.Completed},{r.Failed},{r.Cancelled},{r.Other},{r.InFlight},{r.SecondsGenerated},{r.ChargedMicros},{r.RefundedMicros},{r.HeldMicros}\n");
        }

        return TypedResults.Text(text.ToString(), "text/csv; charset=utf-8");
    }

    // Ids and model names are ours, but quote anything that could break a row or be read as a formula.
    private static string Field(string value)
        => value.IndexOfAny([',', '"', '\n', '\r']) >= 0 || value.StartsWith('=') || value.StartsWith('+') || value.StartsWith('-') || value.StartsWith('@')
            ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : value;
}
