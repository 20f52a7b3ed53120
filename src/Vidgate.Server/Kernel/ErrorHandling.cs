using Microsoft.AspNetCore.Diagnostics;
using Vidgate.Contracts;

namespace Vidgate.Server.Kernel;

/// <summary>
/// Last line of defence: anything not handled as an <see cref="ApiError"/> still leaves in the one error shape.
/// Kestrel's own request errors (body too large, truncated body) keep their 4xx status, a database that did not answer
/// is a 503 with Retry-After, everything else is a 500 with no internals in the message.
/// </summary>
internal static partial class ErrorHandling
{
    public static IApplicationBuilder UseVidgateErrors(this IApplicationBuilder app)
    {
        app.UseExceptionHandler(errorApp => errorApp.Run(async context =>
        {
            var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            var error = Describe(exception, context.RequestAborted.IsCancellationRequested);
            if (error is null)
            {
                return;
            }

            if (error.Status >= 500)
            {
                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Vidgate.Errors");
                Log.Unhandled(logger, context.Request.Method, context.Request.Path, exception);
            }

            await error.ToResult().ExecuteAsync(context);
        }));

        // Routing misses and method mismatches also answer in the error shape.
        app.UseStatusCodePages(async statusContext =>
        {
            var context = statusContext.HttpContext;
            var error = context.Response.StatusCode switch
            {
                404 => ApiError.NotFound($"No route for {context.Request.Method} {context.Request.Path}.", "route_not_found"),
                405 => new ApiError(405, "method_not_allowed", $"{context.Request.Method} is not allowed on {context.Request.Path}."),
                var status => new ApiError(status, "http_" + status, $"HTTP {status}."),
            };
            await error.ToResult().ExecuteAsync(context);
        });
        return app;
    }

    /// <summary>The answer for an exception no handler turned into an <see cref="ApiError"/>; null when the client left.</summary>
    public static ApiError? Describe(Exception? exception, bool clientLeft) => exception switch
    {
        BadHttpRequestException { StatusCode: 413 } => new ApiError(413, "request_too_large", "The request body is larger than this server accepts."),
        BadHttpRequestException bad => new ApiError(bad.StatusCode, "bad_request", "The request could not be read: " + bad.Message),
        OperationCanceledException when clientLeft => null,

        // The database did not answer in time or the connection broke (any engine's transient error): the request may be
        // repeated, so say so with a 503 and Retry-After rather than a 500. A create's transaction either committed or
        // not; the same Idempotency-Key on the retry finds it if it did.
        System.Data.Common.DbException { IsTransient: true } or TimeoutException => new ApiError(
            503, "database_unavailable",
            "The database did not answer in time. Retry in a moment (a create with the same Idempotency-Key can never be made twice).")
        { RetryAfter = 2 },
        _ => new ApiError(500, "internal_error", "The server failed to process the request. The failure was logged."),
    };

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path}")]
        public static partial void Unhandled(ILogger logger, string method, string path, Exception? exception);
    }
}
