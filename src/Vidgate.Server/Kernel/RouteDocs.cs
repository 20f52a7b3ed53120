using Microsoft.AspNetCore.Http.Metadata;
using Vidgate.Contracts;

namespace Vidgate.Server.Kernel;

/// <summary>How a route authenticates, as the API description states it (the checks themselves are the routes' own).</summary>
internal enum DocAuth
{
    /// <summary>Any API key (<c>Authorization: Bearer</c>).</summary>
    Key,

    /// <summary>An admin API key.</summary>
    AdminKey,

    /// <summary>The owner's key, or the signed <c>expires</c> + <c>signature</c> query of a <c>video_url</c>.</summary>
    KeyOrSignedLink,

    /// <summary><c>/metrics</c>: the metrics token, an admin key, or nothing from loopback.</summary>
    MetricsToken,

    /// <summary>Open to anyone (probes).</summary>
    None,
}

/// <summary>What <see cref="RouteDocs.WithVidgateDocs{TBuilder}"/> records on a route; the API description reads it.</summary>
internal sealed record RouteDoc(DocAuth Auth);

/// <summary>
/// A body the route reads itself (through <see cref="JsonBody"/> or the form reader, never model binding): per content
/// type, the wire types it accepts, several when the body's fields pick a dialect.
/// </summary>
internal sealed record DocBody(string ContentType, IReadOnlyList<Type> OneOf, string? Description = null);

/// <summary>
/// The one line each route adds next to its <c>Map*</c> call to appear in <c>/openapi/v1.json</c>: tag, summary, how it
/// authenticates and the error statuses it can answer, all in the one error envelope. The test that compares the
/// description with the routing table fails for a route without it, so a new route's fix is this one line.
/// </summary>
internal static class RouteDocs
{
    public const string Json = "application/json";
    public const string Multipart = "multipart/form-data";

    /// <param name="errors">Statuses beyond the ones the auth implies (401/403/429) and 500.</param>
    public static TBuilder WithVidgateDocs<TBuilder>(this TBuilder builder, string tag, string summary, DocAuth auth = DocAuth.Key, params int[] errors)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithTags(tag).WithSummary(summary).WithMetadata(new RouteDoc(auth));
        int[] implied = auth switch
        {
            DocAuth.Key => [401, 429],
            DocAuth.AdminKey => [401, 403, 429],
            DocAuth.KeyOrSignedLink => [401, 403, 429],
            DocAuth.MetricsToken => [401, 403, 429],
            _ => [],
        };
        foreach (var status in implied.Concat(errors).Append(500).Distinct().Order())
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ErrorBody), [Json]));
        }

        return builder;
    }

    /// <summary>
    /// A response the built-in <c>Produces&lt;T&gt;</c> cannot state: one of several types (the dialect of the task picks
    /// it), or none for bytes and text (<c>string</c>, <c>binary</c> for non-text types).
    /// </summary>
    public static TBuilder Returns<TBuilder>(this TBuilder builder, int status, string contentType, params Type[] oneOf)
        where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new DocResponse(status, contentType, oneOf));

    /// <summary>Describes a query parameter the handler takes, or (<paramref name="header"/>) a request header it reads.</summary>
    public static TBuilder Param<TBuilder>(this TBuilder builder, string name, string description, bool header = false)
        where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new DocParameter(name, description, header));

    /// <summary>
    /// A request body of <paramref name="contentType"/>, one of <paramref name="oneOf"/>. Description only: the built-in
    /// <c>Accepts&lt;T&gt;</c> would also make routing refuse other content types with a bare 415, before the route's
    /// own reader can answer in the error envelope.
    /// </summary>
    public static TBuilder Takes<TBuilder>(this TBuilder builder, string contentType, string? description, params Type[] oneOf)
        where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new DocBody(contentType, oneOf, description));
}

/// <summary>A response whose body is one of several types (or none, for files and text): the API description reads it.</summary>
internal sealed record DocResponse(int Status, string ContentType, IReadOnlyList<Type> OneOf);

/// <summary>A parameter's description, or a header the route reads from the request itself.</summary>
internal sealed record DocParameter(string Name, string Description, bool Header);
