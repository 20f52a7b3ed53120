using System.Text.Json;

namespace Vidgate.Server.Providers.Http;

/// <summary>Which model a request goes to: one name, or one for text-to-video and another for image-to-video.</summary>
internal sealed record ModelChoice(string Text, string Image)
{
    public string For(UpstreamJob job) => job.Images.Count > 0 ? Image : Text;
}

/// <summary>
/// The options every kit vendor takes (an instance's <c>options</c>), each vendor adding none or a few of its own:
/// <c>fit</c> (<c>"snap"</c>, the default, or <c>"strict"</c>), <c>model_map</c> (our model → the vendor's name, or
/// <c>{"text": …, "image": …}</c>), <c>parameters</c> (vendor knobs sent with every submit: negative prompt, seed,
/// camera control, watermark; never from client input) and <c>models</c> (accepted values per vendor model, overriding
/// the built-in table: <c>{"seconds": [5, 10], "resolutions": [720, 1080], "ratios": ["16:9"]}</c>) and
/// <c>usd_per_credit</c> (what one of the vendor's credits costs the operator, for vendors whose answers report the
/// job's price in credits only: Vidu), <c>callbacks</c> (true: the submit carries our callback URL, see
/// <see cref="HttpVendor.Callbacks"/>) and <c>webhook_secret</c> (the key Replicate signs its callbacks with).
/// </summary>
internal sealed record VendorOptions(
    bool Strict,
    IReadOnlyDictionary<string, ModelChoice> ModelMap,
    JsonElement? Parameters,
    IReadOnlyDictionary<string, ModelSpec> Models)
{
    private static readonly string[] Known = ["fit", "model_map", "parameters", "models", "usd_per_credit", "callbacks", "webhook_secret"];

    /// <summary>USD per vendor credit, when the operator stated it (null: credits are not turned into a cost).</summary>
    public decimal? UsdPerCredit { get; init; }

    /// <summary><paramref name="credits"/> as USD ticks (1 USD = 10,000,000,000), or null without a stated price or a sane count.</summary>
    public long? CostUsdTicks(decimal? credits)
        => UsdPerCredit is { } price && credits is >= 0 and < 100_000_000 ? (long)decimal.Round(credits.Value * price * 10_000_000_000m) : null;

    /// <summary>The model for <paramref name="job"/>: <c>options.model_map</c> first, then the instance's plain model map (already in the job).</summary>
    public string ModelFor(UpstreamJob job) => ModelMap.TryGetValue(job.Task.Model, out var choice) ? choice.For(job) : job.UpstreamModel;

    /// <summary>
    /// Parses the options; <paramref name="error"/> says what is wrong, in words an operator can act on.
    /// <paramref name="reserved"/>: fields the adapter sets itself, refused in <c>parameters</c> (a knob must not replace the prompt).
    /// </summary>
    public static VendorOptions? Parse(JsonElement? options, IReadOnlyCollection<string> reserved, out string? error)
        => Parse(options, reserved, [], out error);

    /// <summary>
    /// As above, leaving the options named in <paramref name="own"/> to the vendor's own parsing (Vertex's
    /// <c>project_id</c> and <c>location</c>): they are not refused as unknown here.
    /// </summary>
    public static VendorOptions? Parse(JsonElement? options, IReadOnlyCollection<string> reserved, IReadOnlyCollection<string> own, out string? error)
    {
        error = null;
        var result = new VendorOptions(false, new Dictionary<string, ModelChoice>(), null, new Dictionary<string, ModelSpec>());
        if (options is not { ValueKind: JsonValueKind.Object } root)
        {
            return result;
        }

        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "fit" when value.ValueKind == JsonValueKind.String && value.GetString() is "snap" or "strict":
                    result = result with { Strict = value.GetString() == "strict" };
                    break;
                case "fit":
                    error = "options.fit must be \"snap\" (the nearest accepted value) or \"strict\" (refuse what the model does not take)";
                    return null;
                case "model_map":
                    if (ParseModelMap(value, out error) is not { } map)
                    {
                        return null;
                    }

                    result = result with { ModelMap = map };
                    break;
                case "parameters":
                    if (value.ValueKind != JsonValueKind.Object)
                    {
                        error = "options.parameters must be a JSON object of the vendor's own request fields";
                        return null;
                    }

                    if (value.EnumerateObject().Select(p => p.Name).FirstOrDefault(reserved.Contains) is { } taken)
                    {
                        error = $"options.parameters cannot set \"{taken}\": the adapter sets it from the request";
                        return null;
                    }

                    try
                    {
                        // Sent as a JSON object with every submit: a key given twice would throw there, so refuse it here.
                        using (JsonDocument.Parse(value.GetRawText(), new JsonDocumentOptions { AllowDuplicateProperties = false }))
                        {
                        }
                    }
                    catch (JsonException)
                    {
                        error = "options.parameters names a field twice; every key must be unique";
                        return null;
                    }

                    result = result with { Parameters = value.Clone() };
                    break;
                case "models":
                    if (ParseModels(value, out error) is not { } models)
                    {
                        return null;
                    }

                    result = result with { Models = models };
                    break;
                case "usd_per_credit" when value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var price) && price is > 0 and <= 1000:
                    result = result with { UsdPerCredit = price };
                    break;
                case "usd_per_credit":
                    error = "options.usd_per_credit must be a number above 0 (USD per vendor credit, e.g. 0.005)";
                    return null;
                // Read by the kit (HttpVendor.Callbacks), which also knows whether the type takes callbacks at all.
                case "callbacks" when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    break;
                case "callbacks":
                    error = "options.callbacks must be true (the submit carries our callback URL; needs Vidgate:PublicBaseUrl) or false";
                    return null;
                case "webhook_secret" when value.ValueKind == JsonValueKind.String && CallbackPlace.SecretKey(value.GetString()) is not null:
                    break;
                case "webhook_secret":
                    error = "options.webhook_secret must be a signing secret \"whsec_<base64>\" (Replicate: GET /v1/webhooks/default/secret)";
                    return null;
                case var name when own.Contains(name):
                    break;
                default:
                    error = $"unknown option \"{property.Name}\"; this type takes {string.Join(", ", Known.Concat(own))}";
                    return null;
            }
        }

        return result;
    }

    private static Dictionary<string, ModelChoice>? ParseModelMap(JsonElement value, out string? error)
    {
        error = "options.model_map must map model names to a vendor model name or {\"text\": \"…\", \"image\": \"…\"}";
        if (value.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var map = new Dictionary<string, ModelChoice>(StringComparer.Ordinal);
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind == JsonValueKind.String && entry.Value.GetString() is { Length: > 0 and <= 200 } name)
            {
                map[entry.Name] = new ModelChoice(name, name);
            }
            else if (entry.Value.ValueKind == JsonValueKind.Object
                     && Text(entry.Value, "text") is { } text && Text(entry.Value, "image") is { } image
                     && entry.Value.EnumerateObject().Count() == 2)
            {
                map[entry.Name] = new ModelChoice(text, image);
            }
            else
            {
                return null;
            }
        }

        error = null;
        return map;
    }

    private static Dictionary<string, ModelSpec>? ParseModels(JsonElement value, out string? error)
    {
        error = "options.models must map vendor model names to {\"seconds\": [ints], \"resolutions\": [short sides like 720], \"ratios\": [\"16:9\", …]}, each list non-empty";
        if (value.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var models = new Dictionary<string, ModelSpec>(StringComparer.Ordinal);
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Object
                || Ints(entry.Value, "seconds", 1, 600) is not { } seconds
                || Ints(entry.Value, "resolutions", 144, 4320) is not { } resolutions
                || Ratios(entry.Value) is not { } ratios)
            {
                return null;
            }

            models[entry.Name] = new ModelSpec(seconds, resolutions, ratios);
        }

        error = null;
        return models;
    }

    private static string? Text(JsonElement obj, string name)
        => obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 and <= 200 } s ? s : null;

    private static int[]? Ints(JsonElement obj, string name, int min, int max)
    {
        if (!obj.TryGetProperty(name, out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
        {
            return null;
        }

        var values = new List<int>();
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var n) || n < min || n > max)
            {
                return null;
            }

            values.Add(n);
        }

        return [.. values];
    }

    private static string[]? Ratios(JsonElement obj)
    {
        if (!obj.TryGetProperty("ratios", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
        {
            return null;
        }

        var values = list.EnumerateArray().Select(r => r.ValueKind == JsonValueKind.String ? r.GetString() : null).ToList();
        return values.All(r => r is not null && r.Split(':') is [var w, var h] && int.TryParse(w, out var a) && int.TryParse(h, out var b) && a > 0 && b > 0)
            ? [.. values.Select(v => v!)]
            : null;
    }
}
