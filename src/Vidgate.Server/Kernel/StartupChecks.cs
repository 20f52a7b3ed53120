namespace Vidgate.Server.Kernel;

/// <summary>
/// Something the server cannot run without (a bucket, later a database server), checked once after the app is built
/// and before anything starts: a failure is one clear line and exit code 1, never a stack trace or a server that
/// listens but fails every request.
/// </summary>
internal interface IStartupCheck
{
    /// <summary>Null when fine; otherwise what is wrong and what to do, in one line.</summary>
    Task<string?> CheckAsync(CancellationToken ct);
}

internal static partial class StartupChecks
{
    /// <summary>Runs every registered <see cref="IStartupCheck"/>; false (after logging why) when one fails.</summary>
    public static async Task<bool> PassesStartupChecksAsync(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Vidgate.Startup");
        foreach (var check in app.Services.GetServices<IStartupCheck>())
        {
            if (await check.CheckAsync(app.Lifetime.ApplicationStopping) is { } problem)
            {
                Log.Refused(logger, problem);
                return false;
            }
        }

        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Critical, Message = "Vidgate cannot start: {Problem}")]
        public static partial void Refused(ILogger logger, string problem);
    }
}
