using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vidgate.Server.Providers.ComfyUi;

/// <summary>
/// The <c>comfyui</c> type's <see cref="UpstreamSettings.Options"/>: the workflow (inline <c>workflow</c> or a
/// <c>workflow_path</c> read when the instance is saved), and how seconds become frames.
/// </summary>
/// <param name="OutputNode">The node whose output is the video; null = the first video any node produced.</param>
/// <param name="Fps">Frames per second the model renders at (<c>{{fps}}</c>); 24 by default, 16 for Wan.</param>
/// <param name="FrameStep">
/// Models want lengths of the form <c>step × k + 1</c> (Wan 4, LTX-Video 8): with a step above 1, <c>{{frames}}</c> is
/// seconds × fps rounded to that form (5 s at 16 fps → 81). 1 = exactly seconds × fps.
/// </param>
internal sealed record ComfyUiOptions(ComfyUiWorkflow Workflow, string? OutputNode, int Fps, int FrameStep, string NegativePrompt)
{
    private static readonly string[] Known = ["workflow", "workflow_path", "output_node", "fps", "frame_step", "negative_prompt"];

    public int Frames(int seconds) => FrameStep <= 1
        ? seconds * Fps
        : (int)Math.Max(1, Math.Round(seconds * Fps / (double)FrameStep, MidpointRounding.AwayFromZero)) * FrameStep + 1;

    /// <summary>Workflows are read with duplicate keys refused (System.Text.Json accepts them by default).</summary>
    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false };

    public static ComfyUiOptions? Parse(JsonElement? options, out string? error)
    {
        error = null;
        if (options is not { ValueKind: JsonValueKind.Object } root)
        {
            error = "a comfyui upstream needs options with a \"workflow\" (API-format JSON) or a \"workflow_path\"";
            return null;
        }

        foreach (var property in root.EnumerateObject())
        {
            if (!Known.Contains(property.Name))
            {
                error = $"unknown option '{property.Name}' for type comfyui (known: {string.Join(", ", Known)})";
                return null;
            }
        }

        var hasInline = root.TryGetProperty("workflow", out var inline);
        var hasPath = root.TryGetProperty("workflow_path", out var path);
        if (hasInline == hasPath)
        {
            error = "give exactly one of options.workflow (inline JSON) and options.workflow_path (a file on the server)";
            return null;
        }

        JsonNode? graph;
        if (hasInline)
        {
            try
            {
                graph = JsonNode.Parse(inline.GetRawText(), documentOptions: Strict);
            }
            catch (JsonException)
            {
                // A node or input named twice: ComfyUI would keep one of them silently; JsonNode would throw at first use.
                error = "options.workflow names a node or an input twice; every key of the workflow must be unique";
                return null;
            }
        }
        else if (path.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(path.GetString()))
        {
            error = "options.workflow_path must be a file path";
            return null;
        }
        else
        {
            try
            {
                graph = JsonNode.Parse(File.ReadAllText(path.GetString()!), documentOptions: Strict);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
            {
                error = $"options.workflow_path: cannot read a JSON workflow from '{path.GetString()}' ({ex.GetType().Name})";
                return null;
            }
        }

        var workflow = ComfyUiWorkflow.Parse(graph, out error);
        if (workflow is null)
        {
            return null;
        }

        string? outputNode = null;
        if (root.TryGetProperty("output_node", out var node))
        {
            outputNode = node.ValueKind switch
            {
                JsonValueKind.String => node.GetString(),
                JsonValueKind.Number => node.GetRawText(),
                _ => null,
            };
            if (outputNode is null || !workflow.HasNode(outputNode))
            {
                error = $"options.output_node must name a node of the workflow";
                return null;
            }
        }

        var fps = Int(root, "fps", 24, 1, 240, ref error);
        var step = Int(root, "frame_step", 1, 1, 64, ref error);
        var negative = root.TryGetProperty("negative_prompt", out var neg) && neg.ValueKind == JsonValueKind.String ? neg.GetString()! : "";
        return error is null ? new ComfyUiOptions(workflow, outputNode, fps, step, negative) : null;
    }

    private static int Int(JsonElement root, string name, int fallback, int min, int max, ref string? error)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            return fallback;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= min && number <= max)
        {
            return number;
        }

        error ??= $"options.{name} must be an integer from {min} to {max}";
        return fallback;
    }
}
