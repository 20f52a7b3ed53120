using System.Text.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Vidgate.Server.ApiDocs;

/// <summary>
/// The API description: OpenAPI 3.1 at <c>/openapi/v1.json</c> (Microsoft.AspNetCore.OpenApi, from the routes'
/// own metadata, see <see cref="RouteDocs"/>) and the Scalar reference at <c>/docs</c>, every asset served from here.
/// Both are public: the description holds no secret, and a client generator should not need a key to read it.
/// </summary>
internal static class ApiDocsExtensions
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/openapi/v1.json";
    public const string UiPath = "/docs";

    public static IServiceCollection AddApiDocs(this IServiceCollection services)
    {
        // Only the description generator reads these options: every response is written with the Contracts' source-
        // generated (snake_case) context, so the schemas must be named the way the wire is.
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        services.AddOpenApi(DocumentName, options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;

            // ListOf<ApiKeyInfo> is "ListOfApiKeyInfo" (the default doubles the "Of"): the name generated clients get.
            options.CreateSchemaReferenceId = info => info.Type.IsGenericType && info.Type.GetGenericTypeDefinition() == typeof(Contracts.ListOf<>)
                ? "ListOf" + info.Type.GetGenericArguments()[0].Name
                : OpenApiOptions.CreateDefaultSchemaReferenceId(info);
            options.AddDocumentTransformer(DescribeDocument);
            options.AddOperationTransformer(OperationDocs.ApplyAsync);
        });
        return services;
    }

    public static IEndpointRouteBuilder MapApiDocs(this IEndpointRouteBuilder routes)
    {
        // A literal path: the document name is not a parameter a caller could get a non-envelope 404 from.
        routes.MapOpenApi(DocumentPath);

        // The UI's script is the one bundled in Scalar.AspNetCore (served under /docs); the default web fonts and the
        // usage ping would reach Scalar's servers from every reader's browser, so both are off.
        routes.MapScalarApiReference(UiPath, options => options
            .WithTitle("Vidgate API")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .DisableDefaultFonts()
            .DisableTelemetry());
        return routes;
    }

    private static Task DescribeDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Vidgate",
            Version = "v1",
            Description = "Self-hosted video generation. POST /v1/videos speaks three dialects (seed grok-imagine-video JSON, "
                + "OpenAI Videos JSON or multipart, legacy grok-video multipart; the body decides, see docs/compatibility.md), "
                + "POST /v1/videos/generations speaks xAI's. Every error is {\"error\":{\"message\",\"type\",\"param\",\"code\"}}.",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[OperationDocs.BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An API key (vg_...) as 'Authorization: Bearer <key>'. /admin routes need an admin key; /metrics takes the metrics token too.",
        };
        return Task.CompletedTask;
    }
}
