using Vidgate.Contracts;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Dialects;

/// <summary>Renders a task in the dialect it was created in: the one switch over <see cref="Dialect"/>.</summary>
internal static class TaskWire
{
    /// <summary>The answer to a create, retrieve or cancel.</summary>
    public static IResult Render(VideoTask task, string videoUrl) => task.Dialect switch
    {
        Dialect.Seed => TypedResults.Json(SeedDialect.Render(task, videoUrl), ContractsJson.Wire.SeedVideo),
        Dialect.LegacyGrok => TypedResults.Json(LegacyGrokDialect.Render(task, videoUrl), ContractsJson.Wire.SeedVideo),
        Dialect.OpenAi => TypedResults.Json(OpenAiDialect.Render(task, videoUrl), ContractsJson.Wire.OpenAiVideo),
        Dialect.Xai => TypedResults.Json(XaiDialect.Render(task, videoUrl), ContractsJson.Wire.XaiVideoStatus),
        _ => throw new System.Diagnostics.UnreachableException(),
    };

    /// <summary>A retrieve: the task plus the poll-interval hint OpenAI's pollers read (harmless to the others).</summary>
    public static IResult Retrieve(VideoTask task, string videoUrl, HttpResponse response)
    {
        if (OpenAiDialect.PollAfterMs(task) is { } pollAfter)
        {
            response.Headers[OpenAiDialect.PollAfterHeader] = pollAfter;
        }

        return Render(task, videoUrl);
    }

    /// <summary>The answer to a create: xAI answers with only the id; every other dialect with the task.</summary>
    public static IResult Created(VideoTask task, string videoUrl) => task.Dialect == Dialect.Xai
        ? TypedResults.Json(XaiDialect.Created(task), ContractsJson.Wire.XaiCreated)
        : Render(task, videoUrl);
}
