using Vidgate.Server.Tasks;

namespace Vidgate.Server.Providers;

/// <summary>
/// Asked before anything is sent (at create, to refuse what no route can make, and at submit, to skip a route that
/// cannot): what an instance makes of a job. Pure: no call, no key used. Implemented by the HTTP vendor kit; a provider
/// without it takes every request as asked.
/// </summary>
internal interface IRequestFit
{
    RequestFit Fit(UpstreamJob job);
}

/// <summary>The answer of <see cref="IRequestFit.Fit"/>.</summary>
internal abstract record RequestFit
{
    /// <summary>The instance takes the job; <see cref="Delivered"/> is what it will really make (null: exactly as asked).</summary>
    public sealed record Takes(Delivered? Delivered) : RequestFit;

    /// <summary>The instance refuses the job before sending it (<c>fit: "strict"</c>, an input it has no way to receive).</summary>
    public sealed record Refuses(UpstreamSubmit.Rejected Rejected) : RequestFit;
}

/// <summary>
/// A strict refusal of one of the request's own values, in canonical terms that each dialect names its own way.
/// </summary>
/// <param name="Field"><c>seconds</c>, <c>resolution</c>, <c>aspect_ratio</c> or <c>size</c> (a pixel size where the vendor has a list of them).</param>
/// <param name="Accepted">The values the upstream model takes for that field, as its docs name them.</param>
/// <param name="Condition">The rest of a combined rule (<c>at 10 seconds</c>), or null.</param>
internal sealed record FitRefusal(string Field, IReadOnlyList<string> Accepted, string? Condition = null);
