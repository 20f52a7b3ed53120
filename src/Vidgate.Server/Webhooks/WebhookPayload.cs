using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Vidgate.Server.Dialects;
using Vidgate.Server.Tasks;
using Vidgate.Server.Videos;

namespace Vidgate.Server.Webhooks;

/// <summary>
/// The body of an event: <c>{"id":"evt_…","type":…,"created_at":unix seconds,"data":{…}}</c>, where <c>data</c> is the
/// video exactly as <c>GET /v1/videos/{id}</c> renders it in the dialect it was created in (<see cref="TaskWire"/>, so
/// the two can never disagree), its <c>video_url</c> a signed link on <c>Vidgate:PublicBaseUrl</c> (else the server's
/// first listening address).
/// </summary>
internal sealed class WebhookPayload(IServiceProvider services, ContentLinks links, IOptions<VidgateOptions> options, ITaskStore tasks)
{
    public async Task<byte[]> RenderAsync(WebhookDelivery delivery, CancellationToken ct)
    {
        var task = await tasks.GetAsync(delivery.TaskId, delivery.AccountId, ct);
        using var buffer = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", delivery.EventId);
            writer.WriteString("type", delivery.EventType);
            writer.WriteNumber("created_at", delivery.CreatedAt.ToUnixTimeSeconds());
            writer.WritePropertyName("data");
            if (task is null)
            {
                // Deleted by its owner before the first attempt: the event still says which video and how it ended.
                writer.WriteStartObject();
                writer.WriteString("id", delivery.TaskId);
                writer.WriteString("status", delivery.EventType == WebhookEvents.Progress ? "processing" : delivery.EventType["video.".Length..]);
                writer.WriteBoolean("deleted", true);
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteRawValue(await WireAsync(task, ct), skipInputValidation: true);
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private async Task<byte[]> WireAsync(VideoTask task, CancellationToken ct)
    {
        var http = new DefaultHttpContext { RequestServices = services, RequestAborted = ct };
        var baseUrl = new Uri(BaseUrl());
        http.Request.Scheme = baseUrl.Scheme;
        http.Request.Host = baseUrl.IsDefaultPort ? new HostString(baseUrl.Host) : new HostString(baseUrl.Host, baseUrl.Port);
        using var body = new MemoryStream();
        http.Response.Body = body;
        await TaskWire.Render(task, links.For(task, http.Request)).ExecuteAsync(http);
        return body.ToArray();
    }

    private string BaseUrl()
    {
        if (!string.IsNullOrEmpty(options.Value.PublicBaseUrl))
        {
            return options.Value.PublicBaseUrl;
        }

        var address = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://localhost";

        // A wildcard listen address is no host a receiver can reach: say localhost (set PublicBaseUrl for real links).
        return address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal).Replace("://[::]", "://localhost", StringComparison.Ordinal);
    }
}
