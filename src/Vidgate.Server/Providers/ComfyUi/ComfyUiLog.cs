namespace Vidgate.Server.Providers.ComfyUi;

internal static partial class ComfyUiLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "ComfyUI {Instance} refused a prompt with HTTP {Status}: {Message}")]
    public static partial void PromptRefused(ILogger logger, string instance, int status, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cancel on ComfyUI {Instance} failed: {Reason}")]
    public static partial void CancelFailed(ILogger logger, string instance, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ComfyUI {Instance} ignored the prompt_id Vidgate chose; a submit cut short by a crash cannot be looked up there (update ComfyUI)")]
    public static partial void PromptIdIgnored(ILogger logger, string instance);

    [LoggerMessage(Level = LogLevel.Debug, Message = "ComfyUI progress socket for {ClientId} closed ({Reason}); polls reconnect it")]
    public static partial void ProgressSocketClosed(ILogger logger, string clientId, string reason);
}
