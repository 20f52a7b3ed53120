using System.Globalization;
using System.Text.Json.Serialization;
using Vidgate.Server.Accounts;
using Vidgate.Server.Billing;

namespace Vidgate.Server.Admin;

/// <summary>
/// <c>GET /admin/usage/margin</c>: what accounts were charged against what the upstreams said those videos cost, per UTC
/// day, model and provider instance. The margin covers only tasks whose upstream reported a cost; charged tasks without
/// one (a local render, a vendor that reports nothing) are counted apart as "cost unknown" and never as free.
/// </summary>
internal static class MarginEndpoints
{
    public static IEndpointRouteBuilder MapAdminMargin(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/admin/usage/margin").RequireCaller(admin: true).MapGet("", Read)
            .WithVidgateDocs("Admin: usage", "Revenue against upstream cost per day, model and provider, with the margin", DocAuth.AdminKey, 400)
            .Param("from", "First UTC day, yyyy-MM-dd (inclusive).").Param("to", "Last UTC day, yyyy-MM-dd (inclusive).")
            .Param("model", "Only this model.").Param("account_id", "Only this account.")
            .Param("currency_per_usd", "How many units of the billing currency one US dollar is (default 1: prices are in USD).")
            .Produces<MarginReport>();
        return routes;
    }

    private static async Task<IResult> Read(
        string? from, string? to, string? model, string? account_id, string? currency_per_usd, IBillingStore store, CancellationToken ct)
    {
        var (first, last, error) = Days(from, to);
        if (error is not null)
        {
            return error.ToResult();
        }

        var rate = 1m;
        if (!string.IsNullOrEmpty(currency_per_usd)
            && (!decimal.TryParse(currency_per_usd, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out rate) || rate <= 0 || rate > 1_000_000))
        {
            return ApiError.Invalid("currency_per_usd", "'currency_per_usd' is a number above 0 (units of your billing currency per US dollar), e.g. 0.92.").ToResult();
        }

        var lines = await store.MarginAsync(
            new UsageFilter(string.IsNullOrEmpty(account_id) ? null : account_id, null, string.IsNullOrEmpty(model) ? null : model, first, last), ct);
        var rows = lines.Select(l => Row(l, rate)).ToList();
        var total = Row(new MarginLine("", "", null, lines.Sum(l => l.Tasks), lines.Sum(l => l.Charged), lines.Sum(l => l.CostedTasks),
            lines.Sum(l => l.CostedCharged), lines.Aggregate(Int128.Zero, (s, l) => s + l.CostTicks), lines.Sum(l => l.UnknownTasks), lines.Sum(l => l.UnknownCharged)), rate);
        return TypedResults.Json(
            new MarginReport("admin.margin", rate.ToString(CultureInfo.InvariantCulture), first?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                last?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), total with { Day = null, Model = null }, rows),
            MarginJson.Default.MarginReport);
    }

    /// <summary>
    /// One row: the cost converted to billing micro-units rounded up (a margin is never overstated by rounding), and the
    /// margin of the tasks whose cost is known: what they were charged minus what they cost.
    /// </summary>
    private static MarginRow Row(MarginLine l, decimal rate)
    {
        // 1 USD = 10^10 ticks = 10^6 micro-units at a rate of 1.
        var costMicros = (long)decimal.Ceiling((decimal)l.CostTicks * rate / 10_000m);
        return new MarginRow(l.Day, l.Model, l.Provider, l.Tasks, l.Charged, l.CostedTasks, l.CostedCharged, Money.FormatUsdTicks(l.CostTicks), costMicros,
            l.CostedCharged - costMicros, l.UnknownTasks, l.UnknownCharged);
    }

    private static (DateOnly? From, DateOnly? To, ApiError? Error) Days(string? from, string? to)
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
                return (null, null, ApiError.Invalid(name, $"'{name}' is a UTC day, yyyy-MM-dd (inclusive)."));
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

        return first > last ? (null, null, ApiError.Invalid("to", "'to' is before 'from'.")) : (first, last, null);
    }
}

/// <summary>
/// One day, model and provider (null: unknown, the video was deleted). Money in billing micro-units except
/// <see cref="UpstreamCostUsd"/> (exact decimal USD); <see cref="MarginMicros"/> = <see cref="CostKnownChargedMicros"/> −
/// <see cref="UpstreamCostMicros"/>; <see cref="CostUnknownTasks"/> were charged <see cref="CostUnknownChargedMicros"/> at a cost nobody reported.
/// </summary>
internal sealed record MarginRow(
    string? Day, string? Model, string? Provider, int Tasks, long ChargedMicros, int CostKnownTasks, long CostKnownChargedMicros, string UpstreamCostUsd,
    long UpstreamCostMicros, long MarginMicros, int CostUnknownTasks, long CostUnknownChargedMicros);

internal sealed record MarginReport(string Object, string CurrencyPerUsd, string? From, string? To, MarginRow Total, IReadOnlyList<MarginRow> Data);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(MarginReport))]
internal sealed partial class MarginJson : JsonSerializerContext;
