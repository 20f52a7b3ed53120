using System.Text.Json;

namespace Vidgate.Server.Providers.ComfyUi;

/// <summary>A file ComfyUI wrote, as <c>/history</c> lists it and <c>/view</c> serves it.</summary>
internal sealed record ComfyUiFile(string Filename, string Subfolder, string Type);

/// <summary>Reads <c>GET /history/{id}</c> and <c>GET /queue</c> answers.</summary>
internal static class ComfyUiHistory
{
    private static readonly string[] VideoExtensions = [".mp4", ".webm", ".mov", ".mkv"];

    // SaveVideo / SaveWEBM report their files under "images" (with "animated"), VHS_VideoCombine under "gifs", newer nodes under "videos".
    private static readonly string[] OutputLists = ["videos", "gifs", "images"];

    public enum Place
    {
        Absent,
        Pending,
        Running,
    }

    /// <summary>True when <paramref name="queue"/> has ComfyUI's shape: <c>queue_running</c> and <c>queue_pending</c> lists.</summary>
    public static bool IsQueue(JsonElement queue) =>
        queue.ValueKind == JsonValueKind.Object
        && queue.TryGetProperty("queue_running", out var running) && running.ValueKind == JsonValueKind.Array
        && queue.TryGetProperty("queue_pending", out var pending) && pending.ValueKind == JsonValueKind.Array;

    /// <summary>Where <paramref name="promptId"/> sits in <c>/queue</c> (entries are <c>[number, prompt_id, prompt, extra, outputs]</c>).</summary>
    public static Place InQueue(JsonElement queue, string promptId)
    {
        if (Contains(queue, "queue_running", promptId))
        {
            return Place.Running;
        }

        return Contains(queue, "queue_pending", promptId) ? Place.Pending : Place.Absent;
    }

    /// <summary>The execution error of a failed run: node type and exception message, from <c>status.messages</c>.</summary>
    public static (bool Interrupted, string Message) Failure(JsonElement entry)
    {
        if (entry.TryGetProperty("status", out var status) && status.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                if (message.ValueKind != JsonValueKind.Array || message.GetArrayLength() < 2 || message[1].ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                var data = message[1];
                switch (message[0].GetString())
                {
                    case "execution_error":
                        var node = Text(data, "node_type") ?? Text(data, "node_id") ?? "a node";
                        return (false, $"ComfyUI failed in {node}: {Text(data, "exception_message")?.Trim() ?? "execution error"}");
                    case "execution_interrupted":
                        return (true, "the run was interrupted on ComfyUI");
                }
            }
        }

        return (false, "ComfyUI reported an execution error");
    }

    /// <summary>Null while running; true/false once finished (no <c>status</c> at all = an old ComfyUI that only lists outputs).</summary>
    public static bool? Succeeded(JsonElement entry)
    {
        if (!entry.TryGetProperty("status", out var status) || status.ValueKind != JsonValueKind.Object)
        {
            return entry.TryGetProperty("outputs", out _) ? true : null;
        }

        return Text(status, "status_str") switch
        {
            "error" => false,
            "success" => true,
            _ => status.TryGetProperty("completed", out var completed) && completed.ValueKind == JsonValueKind.True ? true : null,
        };
    }

    /// <summary>The first video file in the outputs (of <paramref name="outputNode"/> only, when set).</summary>
    public static ComfyUiFile? FirstVideo(JsonElement entry, string? outputNode, out string seen)
    {
        seen = "";
        if (!entry.TryGetProperty("outputs", out var outputs) || outputs.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var names = new List<string>();
        foreach (var node in outputs.EnumerateObject())
        {
            if (outputNode is not null && node.Name != outputNode)
            {
                continue;
            }

            foreach (var list in OutputLists)
            {
                if (!node.Value.TryGetProperty(list, out var files) || files.ValueKind != JsonValueKind.Array)
                {
                    continue;
                }

                foreach (var file in files.EnumerateArray())
                {
                    if (Text(file, "filename") is not { Length: > 0 } name)
                    {
                        continue;
                    }

                    names.Add(name);
                    if (VideoExtensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
                    {
                        return new ComfyUiFile(name, Text(file, "subfolder") ?? "", Text(file, "type") ?? "output");
                    }
                }
            }
        }

        seen = names.Count == 0 ? "no files" : string.Join(", ", names.Take(5));
        return null;
    }

    private static bool Contains(JsonElement queue, string list, string promptId) =>
        queue.ValueKind == JsonValueKind.Object && queue.TryGetProperty(list, out var items) && items.ValueKind == JsonValueKind.Array
        && items.EnumerateArray().Any(i => i.ValueKind == JsonValueKind.Array && i.GetArrayLength() > 1 && i[1].ValueKind == JsonValueKind.String && i[1].GetString() == promptId);

    public static string? Text(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
