using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.OpenAi;

/// <summary>Builds the <c>POST /v1/videos</c> body in the instance's <see cref="CreateFormat"/>.</summary>
internal static class OpenAiCreateBody
{
    public static HttpContent Build(UpstreamJob job, CreateFormat format)
    {
        var task = job.Task;
        var seconds = task.Seconds.ToString(CultureInfo.InvariantCulture);
        var size = $"{task.Width}x{task.Height}";
        switch (format)
        {
            case CreateFormat.Json:
                var seed = new JsonObject
                {
                    ["model"] = job.UpstreamModel,
                    ["prompt"] = task.Prompt,
                    ["seconds"] = seconds,
                    ["aspect_ratio"] = task.AspectRatio,
                    ["resolution"] = task.Resolution,
                };
                if (job.Images.Count == 1)
                {
                    seed["image"] = job.Images[0].DataUri;
                }
                else if (job.Images.Count > 1)
                {
                    seed["images"] = new JsonArray([.. job.Images.Select(i => (JsonNode)i.DataUri)]);
                }

                return Json(seed);
            case CreateFormat.OpenAiJson:
                var openAi = new JsonObject
                {
                    ["model"] = job.UpstreamModel,
                    ["prompt"] = task.Prompt,
                    ["seconds"] = seconds,
                    ["size"] = size,
                };
                if (job.Images.Count > 0)
                {
                    // OpenAI's JSON body takes exactly one reference; the others cannot be expressed in this format.
                    openAi["input_reference"] = new JsonObject { ["image_url"] = job.Images[0].DataUri };
                }

                return Json(openAi);
            case CreateFormat.Multipart:
                var form = new MultipartFormDataContent
                {
                    { new StringContent(job.UpstreamModel), "model" },
                    { new StringContent(task.Prompt), "prompt" },
                    { new StringContent(seconds), "seconds" },
                    { new StringContent(size), "size" },
                };
                for (var i = 0; i < job.Images.Count; i++)
                {
                    // Repeated parts carry several images, as the legacy grok-video resellers expect; OpenAI itself reads one.
                    var image = job.Images[i];
                    var part = new ByteArrayContent(image.Bytes.ToArray());
                    part.Headers.ContentType = new MediaTypeHeaderValue(image.MediaType);
                    form.Add(part, "input_reference", $"reference_{i}.{MediaTypes.Extension(image.MediaType)}");
                }

                return form;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, null);
        }
    }

    private static StringContent Json(JsonObject body) =>
        new(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
}
