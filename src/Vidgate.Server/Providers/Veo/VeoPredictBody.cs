using System.Text.Json;
using System.Text.Json.Nodes;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Veo;

/// <summary>
/// The body of Veo's <c>predictLongRunning</c>, the same on the Gemini API (<c>veo</c>) and on Vertex AI (<c>vertex</c>):
/// one instance (the prompt; one image as raw base64 with its type, or up to three reference images) and the parameters
/// (the operator's <c>options.parameters</c> first, then the fields the request decides).
/// </summary>
internal static class VeoPredictBody
{
    public static JsonObject Build(UpstreamJob job, JsonElement? operatorParameters, Fitted fit, bool takesResolution)
    {
        var instance = new JsonObject { ["prompt"] = job.Task.Prompt };
        if (job.Images.Count == 1)
        {
            instance["image"] = Image(job.Images[0]);
        }
        else if (job.Images.Count > 1)
        {
            instance["referenceImages"] = new JsonArray([.. job.Images.Take(3).Select(i => (JsonNode)new JsonObject { ["image"] = Image(i), ["referenceType"] = "asset" })]);
        }

        var parameters = operatorParameters is { } extra ? JsonNode.Parse(extra.GetRawText())!.AsObject() : [];
        parameters["aspectRatio"] = fit.Ratio;
        parameters["durationSeconds"] = fit.Seconds;
        if (takesResolution)
        {
            parameters["resolution"] = fit.ResolutionLabel;
        }

        return new JsonObject { ["instances"] = new JsonArray(instance), ["parameters"] = parameters };
    }

    private static JsonObject Image(UpstreamImage image)
        => new() { ["bytesBase64Encoded"] = Convert.ToBase64String(image.Bytes.Span), ["mimeType"] = image.MediaType };
}
