using Microsoft.Extensions.Options;
using Vidgate.Server.Metrics;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Callbacks;

/// <summary>
/// <c>POST /v1/upstream-callbacks/{instance}/{token}</c>: an upstream saying one of its jobs changed. No API key: the
/// per-job secret in the path is the credential (and Replicate's or fal's signature on top). A callback is only a wake-up: the
/// job is made due now and the tracker polls it, and the poll's answer is what counts, so a forged or replayed callback
/// can at most cause one poll; its body is never read for a status. Answers are fast and small, as vendors retry on
/// anything but 200; an unknown secret is a 404 that leaves nothing but a counter behind.
/// </summary>
internal static class CallbackEndpoints
{
    private const string Ok = """{"received":true}""";

    public static IEndpointConventionBuilder MapUpstreamCallbacks(this IEndpointRouteBuilder routes)
        => routes.MapPost(CallbackTokens.Path + "/{instance}/{token}", ReceiveAsync)
            .WithVidgateDocs("Providers", "An upstream's callback for one job (a wake-up for the tracker; the secret in the path is the credential)",
                DocAuth.None, 401, 404, 413, 429)
            .Returns(200, RouteDocs.Json);

    private static async Task<IResult> ReceiveAsync(
        string instance, string token, HttpRequest request, UpstreamRegistry registry, IUpstreamJobStore jobs, CallbackLimiter limiter,
        WorkSignals signals, VidgateMetrics metrics, TimeProvider clock, IOptions<CallbackOptions> options, CancellationToken ct)
    {
        if (!CallbackTokens.WellFormed(token) || registry.Instance(instance) is not { IsLocal: false, Callbacks: { TakesCallbacks: true } callbacks })
        {
            return Unknown(metrics);
        }

        if (!limiter.TryTake(instance, out var wait))
        {
            metrics.UpstreamCallback("rate_limited");
            return ApiError.TooManyRequests("rate_limited", $"Too many callbacks for provider '{instance}'; retry later.", (int)Math.Ceiling(wait.TotalSeconds)).ToResult();
        }

        if (await ReadAsync(request, options.Value.MaxBodyBytes, ct) is not { } body)
        {
            metrics.UpstreamCallback("too_large");
            return new ApiError(413, "body_too_large", $"A callback body is at most {options.Value.MaxBodyBytes} bytes.").ToResult();
        }

        var now = clock.GetUtcNow();
        if (await callbacks.VerifyAsync(name => request.Headers.TryGetValue(name, out var value) ? value.ToString() : null, body, now, ct) is not null)
        {
            // Which check failed is not said: it would only help a forger.
            metrics.UpstreamCallback("bad_signature");
            return new ApiError(401, "invalid_signature", "The callback's signature is missing, stale or wrong.").ToResult();
        }

        var challenge = callbacks.Challenge(body);
        var wake = await jobs.WakeAsync(instance, CallbackTokens.Hash(token), now, ct);
        if (wake == CallbackWake.Unknown)
        {
            return Unknown(metrics);
        }

        if (challenge is not null)
        {
            metrics.UpstreamCallback("challenge");
            return Results.Text(challenge, RouteDocs.Json);
        }

        if (wake == CallbackWake.Woken)
        {
            signals.Track.Notify();
        }

        // A finished job's callback (a late or retried one) is answered 200 too, so the vendor stops retrying it.
        metrics.UpstreamCallback(wake == CallbackWake.Woken ? "woken" : "idle");
        return Results.Text(Ok, RouteDocs.Json);
    }

    private static IResult Unknown(VidgateMetrics metrics)
    {
        metrics.UpstreamCallback("unknown");
        return ApiError.NotFound("No such callback.").ToResult();
    }

    /// <summary>The body, or null when it is over <paramref name="max"/> bytes (read no further than that).</summary>
    private static async Task<byte[]?> ReadAsync(HttpRequest request, int max, CancellationToken ct)
    {
        if (request.ContentLength > max)
        {
            return null;
        }

        var buffer = new byte[Math.Min(max + 1, (int?)request.ContentLength + 1 ?? 4096)];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (buffer.Length > max)
                {
                    return null;
                }

                Array.Resize(ref buffer, Math.Min(max + 1, buffer.Length * 2));
            }

            var read = await request.Body.ReadAsync(buffer.AsMemory(length), ct);
            if (read == 0)
            {
                return buffer[..length];
            }

            length += read;
        }
    }
}
