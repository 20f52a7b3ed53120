using Vidgate.Contracts;

namespace Vidgate.Server.Kernel;

/// <summary>An expected failure, as a value. Mapped to the wire in exactly one place: <see cref="ToResult"/>.</summary>
internal sealed record ApiError(int Status, string Code, string Message, string? Param = null)
{
    /// <summary>Seconds for the <c>Retry-After</c> header (429s): whole seconds, at least 1.</summary>
    public int? RetryAfter { get; init; }

    public string Type => Status switch
    {
        400 or 413 or 415 or 422 => "invalid_request_error",
        401 => "authentication_error",
        402 => "insufficient_quota",
        403 => "permission_error",
        404 => "not_found_error",
        409 => "conflict_error",
        429 => "rate_limit_error",
        _ => "server_error",
    };

    /// <summary>Messages and params quote the caller's input; a 10 MB value must not come back as a 10 MB error (found by the fuzzer).</summary>
    public const int MaxMessageLength = 1000;

    public const int MaxParamLength = 200;

    public IResult ToResult()
    {
        var detail = new ErrorDetail(Clip(Message, MaxMessageLength), Type, Param is null ? null : Clip(Param, MaxParamLength), Code);
        var json = TypedResults.Json(new ErrorBody(detail), ContractsJson.Wire.ErrorBody, statusCode: Status);
        return RetryAfter is { } seconds ? new RetryAfterResult(json, Math.Max(1, seconds)) : json;
    }

    // Never cut a surrogate pair in two: the clipped text must still encode.
    private static string Clip(string text, int max)
        => text.Length <= max ? text : string.Concat(text.AsSpan(0, char.IsHighSurrogate(text[max - 2]) ? max - 2 : max - 1), "…");

    public static ApiError Invalid(string param, string message, string code = "invalid_value") => new(400, code, message, param);

    public static ApiError NotFound(string message, string code = "not_found") => new(404, code, message);

    public static ApiError Unauthorized(string message) => new(401, "invalid_api_key", message);

    public static ApiError Conflict(string code, string message) => new(409, code, message);

    public static ApiError TooManyRequests(string code, string message, int retryAfter) => new(429, code, message) { RetryAfter = retryAfter };

    private sealed class RetryAfterResult(IResult inner, int seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}
