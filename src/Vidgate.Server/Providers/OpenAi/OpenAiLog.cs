namespace Vidgate.Server.Providers.OpenAi;

internal static partial class OpenAiLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream {Instance} answered an unknown status word '{Status}'; the task keeps running")]
    public static partial void UnknownStatus(ILogger logger, string instance, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upstream {Instance} refused a create with HTTP {Status} (code {Code})")]
    public static partial void SubmitRefused(ILogger logger, string instance, int status, string? code);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upstream {Instance} took neither cancel ({CancelStatus}) nor delete ({DeleteStatus})")]
    public static partial void CancelIgnored(ILogger logger, string instance, int cancelStatus, int deleteStatus);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cancel on upstream {Instance} failed: {Reason}")]
    public static partial void CancelFailed(ILogger logger, string instance, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Result URL of upstream {Instance} on {Host} answered {Status} ({ContentType}); trying /content")]
    public static partial void ResultUrlUnusable(ILogger logger, string instance, string host, int status, string? contentType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Result URL of upstream {Instance} on {Host} failed ({Reason}); trying /content")]
    public static partial void ResultUrlFailed(ILogger logger, string instance, string host, string reason);
}
