using Microsoft.Extensions.Options;
using Vidgate.Server.Accounts;

namespace Vidgate.Server.Billing;

/// <summary>
/// The cheap checks, in memory and before any database write: a key's creates per minute, and failed
/// authentications per client IP (so guessing keys costs the guesser, not the database). An IP that runs out is logged
/// (a warning naming the IP, never the key it tried), at most once a minute per IP, so an operator sees a key-guessing
/// attempt without an attacker being able to flood the log.
/// </summary>
internal sealed partial class RequestLimits(TimeProvider clock, IOptions<BillingOptions> options, ILogger<RequestLimits> logger)
{
    private readonly TokenBuckets _creates = new(clock);
    private readonly TokenBuckets _failedAuth = new(clock);
    private readonly TokenBuckets _blockLogs = new(clock);

    // Until the first failed authentication the per-IP check costs nothing on the poll path (not even the IP string).
    private volatile bool _anyAuthFailed;

    /// <summary>Takes one create from the key's bucket; a 429 when it is empty.</summary>
    public ApiError? TakeCreate(Caller caller)
    {
        if (caller.Plan.RequestsPerMinute is not { } perMinute || _creates.TryTake(caller.KeyId, perMinute) is not { } wait)
        {
            return null;
        }

        return ApiError.TooManyRequests(
            "rate_limit_exceeded", $"This key may create {perMinute} videos per minute. Retry after {wait} s.", wait);
    }

    /// <summary>A 429 if this client's IP has used up its failed authentications; checked before the key is looked up.</summary>
    public ApiError? AuthBlocked(HttpContext http)
        => _anyAuthFailed && _failedAuth.Peek(ClientIp(http), options.Value.FailedAuthPerMinute) is { } wait
            ? ApiError.TooManyRequests("rate_limit_exceeded", $"Too many failed authentications from this address. Retry after {wait} s.", wait)
            : null;

    public void AuthFailed(HttpContext http)
    {
        _anyAuthFailed = true;
        var ip = ClientIp(http);
        var perMinute = options.Value.FailedAuthPerMinute;
        _failedAuth.TryTake(ip, perMinute);
        if (_failedAuth.Peek(ip, perMinute) is { } wait && _blockLogs.TryTake(ip, 1) is null)
        {
            Log.AuthBlocked(logger, ip, perMinute, wait);
        }
    }

    private static string ClientIp(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Client {Ip} used up its {PerMinute} failed authentications per minute; its requests get 429 for {Wait} s")]
        public static partial void AuthBlocked(ILogger logger, string ip, int perMinute, int wait);
    }
}
