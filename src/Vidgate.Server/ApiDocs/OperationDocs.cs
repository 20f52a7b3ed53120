using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Vidgate.Server.ApiDocs;

/// <summary>
/// Turns the metadata a route declared with <see cref="RouteDocs"/> into its operation: who may call it (the security
/// requirement), the bodies it reads itself (no handler parameter tells the generator), the responses of several types.
/// </summary>
internal static class OperationDocs
{
    public const string BearerScheme = "bearer";

    public static async Task ApplyAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var document = context.Document!;
        if (metadata.OfType<RouteDoc>().LastOrDefault() is { } doc)
        {
            operation.Security = Security(doc.Auth, document);
        }

        var bodies = metadata.OfType<DocBody>().ToList();
        if (bodies.Count > 0)
        {
            var body = new OpenApiRequestBody
            {
                Required = true,
                Description = string.Join(" ", bodies.Select(b => b.Description).Where(d => d is not null).Distinct()),
                Content = new Dictionary<string, OpenApiMediaType>(),
            };
            foreach (var item in bodies)
            {
                body.Content[item.ContentType] = new OpenApiMediaType { Schema = await SchemaAsync(item.OneOf, context, ct) };
            }

            operation.RequestBody = body;
        }

        foreach (var parameter in metadata.OfType<DocParameter>())
        {
            operation.Parameters ??= [];
            if (operation.Parameters.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == parameter.Name) is { } known)
            {
                known.Description = parameter.Description;
            }
            else
            {
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = parameter.Name,
                    In = parameter.Header ? ParameterLocation.Header : ParameterLocation.Query,
                    Description = parameter.Description,
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                });
            }
        }

        foreach (var response in metadata.OfType<DocResponse>())
        {
            operation.Responses ??= [];
            var key = response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!operation.Responses.TryGetValue(key, out var existing) || existing is not OpenApiResponse entry)
            {
                entry = new OpenApiResponse { Description = ReasonPhrase(response.Status) };
                operation.Responses[key] = entry;
            }

            entry.Content ??= new Dictionary<string, OpenApiMediaType>();
            entry.Content[response.ContentType] = new OpenApiMediaType
            {
                Schema = response.OneOf.Count > 0
                    ? await SchemaAsync(response.OneOf, context, ct)
                    : new OpenApiSchema { Type = JsonSchemaType.String, Format = response.ContentType.StartsWith("text/", StringComparison.Ordinal) ? null : "binary" },
            };
        }

        // Success first, then the failures in order: how a reader scans an operation.
        if (operation.Responses is { Count: > 1 } responses)
        {
            var ordered = responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
            responses.Clear();
            foreach (var (key, value) in ordered)
            {
                responses[key] = value;
            }
        }
    }

    private static List<OpenApiSecurityRequirement> Security(DocAuth auth, OpenApiDocument document)
    {
        var bearer = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] };
        return auth switch
        {
            // An empty requirement is "no credentials": the signed link, or a loopback scrape.
            DocAuth.KeyOrSignedLink or DocAuth.MetricsToken => [bearer, new OpenApiSecurityRequirement()],
            DocAuth.None => [],
            _ => [bearer],
        };
    }

    /// <summary>One type's component reference, or a <c>oneOf</c> of several.</summary>
    private static async Task<IOpenApiSchema> SchemaAsync(IReadOnlyList<Type> types, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var references = new List<IOpenApiSchema>();
        foreach (var type in types)
        {
            var schema = await context.GetOrCreateSchemaAsync(type, null, ct);
            context.Document!.AddComponent(type.Name, schema);
            references.Add(new OpenApiSchemaReference(type.Name, context.Document));
        }

        return references.Count == 1 ? references[0] : new OpenApiSchema { OneOf = references };
    }

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "HTTP " + status;
}
