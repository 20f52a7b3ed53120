using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Vidgate.Server.Providers.ComfyUi;

/// <summary>
/// An API-format workflow with placeholders as whole string values (<c>"{{prompt}}"</c>). Filling works on the parsed
/// tree, never on text: a prompt full of quotes and braces becomes one JSON string and cannot reach another node.
/// </summary>
internal sealed partial class ComfyUiWorkflow
{
    public const int MaxImages = 7;

    /// <summary>Placeholders that become JSON numbers; the others become strings.</summary>
    public static readonly IReadOnlySet<string> Numeric = new HashSet<string>(["seed", "width", "height", "frames", "fps", "seconds"]);

    private static readonly IReadOnlySet<string> Text = new HashSet<string>(
        ["prompt", "negative_prompt", "image", .. Enumerable.Range(0, MaxImages).Select(i => $"image_{i}")]);

    private readonly JsonObject _template;

    private ComfyUiWorkflow(JsonObject template, IReadOnlySet<string> placeholders)
    {
        _template = template;
        Placeholders = placeholders;
        ImageSlots = placeholders.Where(p => p.StartsWith("image", StringComparison.Ordinal))
            .Select(p => p == "image" ? 1 : int.Parse(p["image_".Length..], System.Globalization.CultureInfo.InvariantCulture) + 1)
            .DefaultIfEmpty(0).Max();
    }

    public IReadOnlySet<string> Placeholders { get; }

    /// <summary>How many reference images the workflow takes (<c>{{image}}</c> is <c>{{image_0}}</c>).</summary>
    public int ImageSlots { get; }

    public bool HasNode(string id) => _template.ContainsKey(id);

    /// <summary>Checks that <paramref name="node"/> is an API-format graph whose placeholders are all known and include <c>{{prompt}}</c>.</summary>
    public static ComfyUiWorkflow? Parse(JsonNode? node, out string? error)
    {
        error = null;
        if (node is not JsonObject graph || graph.Count == 0)
        {
            error = "the workflow must be a non-empty JSON object of nodes (ComfyUI \"Export (API)\")";
            return null;
        }

        if (graph.ContainsKey("nodes") && graph.ContainsKey("links"))
        {
            error = "this is a UI-format workflow; export it from ComfyUI with \"Export (API)\"";
            return null;
        }

        foreach (var (id, value) in graph)
        {
            if (value is not JsonObject n || n["class_type"] is not JsonValue type || type.GetValueKind() != JsonValueKind.String || n["inputs"] is not JsonObject)
            {
                error = $"workflow node '{id}' needs a string \"class_type\" and an \"inputs\" object (API format)";
                return null;
            }
        }

        var found = new HashSet<string>();
        foreach (var text in Strings(graph))
        {
            if (Whole().Match(text) is { Success: true } match)
            {
                var name = match.Groups[1].Value;
                if (!Numeric.Contains(name) && !Text.Contains(name))
                {
                    error = $"unknown placeholder {{{{{name}}}}} (known: prompt, negative_prompt, seed, width, height, frames, fps, seconds, image, image_0…image_{MaxImages - 1})";
                    return null;
                }

                found.Add(name);
            }
            else if (text.Contains("{{", StringComparison.Ordinal) && text.Contains("}}", StringComparison.Ordinal))
            {
                error = $"placeholders must be whole string values, not part of one: \"{(text.Length > 60 ? text[..60] + "…" : text)}\"";
                return null;
            }
        }

        if (!found.Contains("prompt"))
        {
            error = "the workflow has no \"{{prompt}}\" placeholder";
            return null;
        }

        if (found.Contains("image") && found.Contains("image_0"))
        {
            error = "use either {{image}} or {{image_0}}, not both (they are the same image)";
            return null;
        }

        return new ComfyUiWorkflow((JsonObject)graph.DeepClone(), found);
    }

    /// <summary>A copy of the template with every placeholder replaced by its value (numbers stay numbers).</summary>
    public JsonObject Fill(IReadOnlyDictionary<string, JsonNode> values)
    {
        var copy = (JsonObject)_template.DeepClone();
        Replace(copy, values);
        return copy;
    }

    private static void Replace(JsonNode node, IReadOnlyDictionary<string, JsonNode> values)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (Lookup(obj[key], values) is { } replacement)
                    {
                        obj[key] = replacement;
                    }
                    else if (obj[key] is { } child)
                    {
                        Replace(child, values);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (Lookup(array[i], values) is { } replacement)
                    {
                        array[i] = replacement;
                    }
                    else if (array[i] is { } child)
                    {
                        Replace(child, values);
                    }
                }

                break;
        }
    }

    private static JsonNode? Lookup(JsonNode? node, IReadOnlyDictionary<string, JsonNode> values) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) && Whole().Match(text) is { Success: true } match
            && values.TryGetValue(match.Groups[1].Value, out var replacement)
            ? replacement.DeepClone()
            : null;

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject obj => obj.SelectMany(p => Strings(p.Value)),
        JsonArray array => array.SelectMany(Strings),
        JsonValue value when value.TryGetValue<string>(out var text) => [text],
        _ => [],
    };

    [GeneratedRegex(@"^\{\{\s*([a-z0-9_]+)\s*\}\}$")]
    private static partial Regex Whole();
}
