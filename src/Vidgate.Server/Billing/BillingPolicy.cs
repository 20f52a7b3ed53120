using Vidgate.Server.Accounts;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Billing;

/// <summary>
/// The in-memory half of admitting a create: the caller's plan (model, length, resolution), the price, and the
/// errors for refusals the store reports. The balance and in-flight checks are exact and happen in the insert's write.
/// </summary>
internal sealed class BillingPolicy(PriceBook prices)
{
    /// <summary>Seconds to suggest to a caller at its in-flight cap: a hint, tasks finish when they finish.</summary>
    public const int InFlightRetryAfter = 5;

    /// <summary>The hold a create asks for, with its <paramref name="idempotency"/> key to record in the same write; or why not.</summary>
    public (HoldRequest? Hold, ApiError? Error) Admit(Caller caller, string taskId, VideoRequest request, IdempotencyClaim? idempotency = null)
    {
        var plan = caller.Plan;
        if (!plan.Allows(request.Model))
        {
            return (null, new ApiError(403, "model_not_allowed", $"Your plan does not include model '{request.Model}'. GET /v1/models lists the models you may use.", "model"));
        }

        if (plan.MaxSeconds is { } maxSeconds && request.Seconds > maxSeconds)
        {
            return (null, new ApiError(403, "plan_limit_exceeded", $"Your plan allows videos of at most {maxSeconds} seconds; this one asks for {request.Seconds}.", "seconds"));
        }

        var shortSide = Math.Min(request.Width, request.Height);
        if (plan.MaxResolution is { } maxResolution && shortSide > maxResolution)
        {
            return (null, new ApiError(403, "plan_limit_exceeded", $"Your plan allows resolutions up to {maxResolution}P; this video is {shortSide}P.", "resolution"));
        }

        if (prices.Find(request.Model, shortSide) is not { } price)
        {
            return (null, new ApiError(403, "model_not_priced", $"Model '{request.Model}' has no price set by the operator yet, so it cannot be used.", "model"));
        }

        return (new HoldRequest(taskId, caller.AccountId, caller.KeyId, request.Model, shortSide, request.Seconds, request.Images.Count, price, plan)
        {
            Idempotency = idempotency,
        }, null);
    }

    public static ApiError Refused(InsertRefusal refusal) => refusal switch
    {
        HoldRefusal.Insufficient(var needed, var available) => new ApiError(
            402, "insufficient_quota",
            $"Insufficient balance: this video costs {Money.Format(needed)} and the account has {Money.Format(available)} available " +
            $"({needed} and {available} micro-units). Ask the operator for a top-up."),
        HoldRefusal.TooManyInFlight(var limit) => ApiError.TooManyRequests(
            "concurrency_limit_exceeded", $"Your plan allows {limit} unfinished videos at once. Retry when one has finished.", InFlightRetryAfter),
        HoldRefusal.NoAccount => ApiError.Unauthorized("The account of this API key no longer exists."),
        _ => throw new System.Diagnostics.UnreachableException(),
    };
}
