using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Vidgate.Server.Kernel;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.ApiDocs;

/// <summary>
/// <c>/openapi/v1.json</c> is what client generators and the Scalar page read: it must parse as OpenAPI 3.1, name
/// every route the server maps, and say what the wire really carries.
/// </summary>
public sealed partial class OpenApiDocumentTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    /// <summary>The description itself and its UI: they describe the API, they are not part of it.</summary>
    private static readonly string[] Undescribed = ["/openapi/", "/docs"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private VidgateApp App => fixture.App;

    [Fact]
    public async Task The_document_is_valid_OpenAPI_3_1_and_every_reference_resolves()
    {
        var (text, document, diagnostic) = await LoadAsync();

        Assert.Empty(diagnostic.Errors);
        Assert.Equal(OpenApiSpecVersion.OpenApi3_1, diagnostic.SpecificationVersion);
        Assert.StartsWith("3.1", JsonDocument.Parse(text).RootElement.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        Assert.Empty(document.Validate(ValidationRuleSet.GetDefaultRuleSet()) ?? []);

        var schemas = document.Components!.Schemas!.Keys.ToHashSet();
        var dangling = RefPattern().Matches(text).Select(m => m.Groups[1].Value).Where(name => !schemas.Contains(name)).Distinct().ToList();
        Assert.True(dangling.Count == 0, "dangling $ref: " + string.Join(", ", dangling));
    }

    [Fact]
    public async Task Every_mapped_route_is_described_with_a_tag_a_summary_its_auth_and_the_error_envelope()
    {
        var (_, document, _) = await LoadAsync();
        var routes = App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>() is not null)
            .Where(e => !Undescribed.Any(prefix => ("/" + e.RoutePattern.RawText!.TrimStart('/')).StartsWith(prefix, StringComparison.Ordinal)))
            .ToList();
        Assert.Contains(routes, e => e.RoutePattern.RawText == "/v1/videos/{id}/content");
        Assert.Contains(routes, e => e.RoutePattern.RawText!.StartsWith("/admin/", StringComparison.Ordinal));

        var problems = new List<string>();
        foreach (var endpoint in routes)
        {
            var path = OpenApiPath(endpoint.RoutePattern.RawText!);
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods)
            {
                var name = $"{method} {path}";
                var doc = endpoint.Metadata.GetMetadata<RouteDoc>();
                if (doc is null)
                {
                    problems.Add($"{name}: no .WithVidgateDocs(...) next to its Map* call");
                    continue;
                }

                var item = document.Paths.TryGetValue(path, out var found) ? found : null;
                if (item?.Operations is null || !item.Operations.TryGetValue(HttpMethod.Parse(method), out var operation))
                {
                    problems.Add($"{name}: missing from /openapi/v1.json");
                    continue;
                }

                if (string.IsNullOrWhiteSpace(operation.Summary) || operation.Tags is not { Count: > 0 })
                {
                    problems.Add($"{name}: no summary or tag");
                }

                // 503 of /readyz is its own body (which check failed); every other failure is the envelope.
                var errors = operation.Responses!.Where(r => r.Key[0] == '4' || r.Key == "500").ToList();
                if (errors.Count == 0 || errors.Any(r => SchemaId(r.Value.Content?["application/json"].Schema) != "ErrorBody"))
                {
                    problems.Add($"{name}: error responses not in the error envelope");
                }

                if (!operation.Responses!.Keys.Any(k => k[0] == '2'))
                {
                    problems.Add($"{name}: no success response");
                }

                var bearer = operation.Security?.Any(r => r.Keys.Any(s => s is OpenApiSecuritySchemeReference { Reference.Id: "bearer" })) == true;
                if (bearer != (doc.Auth != DocAuth.None))
                {
                    problems.Add($"{name}: security says bearer={bearer}, the route is {doc.Auth}");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public async Task Auth_is_the_bearer_scheme_and_the_content_route_also_takes_a_signed_link()
    {
        var (_, document, _) = await LoadAsync();

        var scheme = Assert.IsType<OpenApiSecurityScheme>(document.Components!.SecuritySchemes!["bearer"]);
        Assert.Equal(SecuritySchemeType.Http, scheme.Type);
        Assert.Equal("bearer", scheme.Scheme);

        var content = document.Paths["/v1/videos/{id}/content"].Operations![HttpMethod.Get];
        Assert.Contains(content.Security!, r => r.Count == 0);
        Assert.Contains(content.Security!, r => r.Count == 1);
        var query = content.Parameters!.Where(p => p.In == ParameterLocation.Query).Select(p => p.Name).ToList();
        Assert.Contains("expires", query);
        Assert.Contains("signature", query);
        Assert.Contains("variant", query);
        Assert.Contains("video/mp4", content.Responses!["200"].Content!.Keys);

        Assert.Empty(document.Paths["/healthz"].Operations![HttpMethod.Get].Security ?? []);
        var admin = document.Paths["/admin/keys"].Operations![HttpMethod.Post];
        Assert.Contains("403", admin.Responses!.Keys);
    }

    [Fact]
    public async Task The_create_bodies_list_every_dialect_with_their_wire_field_names()
    {
        var (_, document, _) = await LoadAsync();
        var create = document.Paths["/v1/videos"].Operations![HttpMethod.Post];

        var json = create.RequestBody!.Content!["application/json"].Schema!;
        Assert.Equal(["SeedCreateRequest", "OpenAiCreateJson"], json.OneOf!.Select(SchemaId));
        var multipart = create.RequestBody.Content["multipart/form-data"].Schema!;
        Assert.Equal(["OpenAiCreateForm", "LegacyGrokCreateForm"], multipart.OneOf!.Select(SchemaId));

        var seed = document.Components!.Schemas!["SeedCreateRequest"];
        Assert.Equal(["aspect_ratio", "image", "images", "model", "prompt", "resolution", "seconds"], seed.Properties!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["model", "prompt"], seed.Required!.Order(StringComparer.Ordinal));

        var form = document.Components.Schemas["OpenAiCreateForm"];
        Assert.Equal("binary", form.Properties!["input_reference"].Format);
        Assert.Contains("input_reference[image_url]", form.Properties.Keys);
        Assert.Equal(["prompt"], form.Required!);

        var xai = document.Paths["/v1/videos/generations"].Operations![HttpMethod.Post];
        Assert.Equal("XaiCreateRequest", SchemaId(xai.RequestBody!.Content!["application/json"].Schema));
        Assert.Contains("reference_images", document.Components.Schemas["XaiCreateRequest"].Properties!.Keys);
        Assert.False(xai.RequestBody.Content.ContainsKey("multipart/form-data"));

        Assert.Contains(create.Parameters!, p => p.Name == "Idempotency-Key" && p.In == ParameterLocation.Header);
        var admin = document.Paths["/admin/accounts"].Operations![HttpMethod.Post];
        Assert.Equal("CreateAccountRequest", SchemaId(admin.RequestBody!.Content!["application/json"].Schema));
        Assert.Equal("ListOfAccountInfo", SchemaId(document.Paths["/admin/accounts"].Operations![HttpMethod.Get].Responses!["200"].Content!["application/json"].Schema));
    }

    [Fact]
    public async Task The_documented_error_envelope_and_video_are_what_the_server_sends()
    {
        var (_, document, _) = await LoadAsync();
        var schemas = document.Components!.Schemas!;
        Assert.Equal(["error"], schemas["ErrorBody"].Properties!.Keys);
        Assert.Equal("ErrorDetail", SchemaId(schemas["ErrorBody"].Properties!["error"]));
        var detail = schemas["ErrorDetail"].Properties!.Keys.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["code", "message", "param", "type"], detail);

        using var anonymous = App.Client(key: null);
        var unauthorized = await anonymous.GetAsync("/v1/videos", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        var sent = JsonDocument.Parse(await unauthorized.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(["error"], sent.EnumerateObject().Select(p => p.Name));
        Assert.Equal(detail, sent.GetProperty("error").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Contains("401", document.Paths["/v1/videos"].Operations![HttpMethod.Get].Responses!.Keys);

        var (key, accountId) = await App.NewKeyAsync("docs");
        await App.TopUpAsync(accountId, 1000_000_000);
        using var client = App.Client(key);
        var created = await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos", Api.SeedBody));
        var createResponse = document.Paths["/v1/videos"].Operations![HttpMethod.Post].Responses!["200"].Content!["application/json"].Schema!;
        Assert.Contains("SeedVideo", createResponse.OneOf!.Select(SchemaId));
        Assert.Equal(
            schemas["SeedVideo"].Properties!.Keys.Order(StringComparer.Ordinal),
            created.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));

        var list = await Api.OkJsonAsync(await client.GetAsync("/v1/videos", Ct));
        Assert.Equal(
            schemas["OpenAiVideoList"].Properties!.Keys.Order(StringComparer.Ordinal),
            list.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(
            schemas["OpenAiVideo"].Properties!.Keys.Order(StringComparer.Ordinal),
            list.GetProperty("data")[0].EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_docs_page_loads_only_assets_this_server_serves()
    {
        using var client = App.Client(key: null);
        var page = await client.GetAsync("/docs", Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var pageUri = page.RequestMessage!.RequestUri!;
        var html = await page.Content.ReadAsStringAsync(Ct);

        // The page resolves the document against the server's root, so behind a path prefix it still finds it.
        Assert.Contains("\"url\":\"openapi/v1.json\"", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/openapi/v1.json", Ct)).StatusCode);

        var assets = AssetPattern().Matches(html).Select(m => m.Groups[1].Value).Append("favicon.svg").ToList();
        Assert.Contains("scalar.js", assets);
        foreach (var asset in assets)
        {
            Assert.False(Uri.TryCreate(asset, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https" || asset.StartsWith("//", StringComparison.Ordinal),
                $"/docs loads {asset} from another host");
            var response = await client.GetAsync(new Uri(pageUri, asset), Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{asset}: {(int)response.StatusCode}");
            Assert.True((await response.Content.ReadAsByteArrayAsync(Ct)).Length > 100, $"{asset} is empty");
        }

        // The configuration the page hands the bundled script: no web fonts from Scalar's CDN, no usage ping.
        Assert.Contains("\"withDefaultFonts\":false", html, StringComparison.Ordinal);
        Assert.Contains("\"telemetry\":false", html, StringComparison.Ordinal);
    }

    private async Task<(string Text, OpenApiDocument Document, OpenApiDiagnostic Diagnostic)> LoadAsync()
    {
        using var client = App.Client(key: null);
        var response = await client.GetAsync("/openapi/v1.json", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync(Ct);
        var (document, diagnostic) = OpenApiDocument.Parse(text, OpenApiConstants.Json);
        Assert.NotNull(document);
        Assert.True(diagnostic!.Errors.Count == 0, string.Join('\n', diagnostic.Errors.Select(e => $"{e.Pointer}: {e.Message}")));
        return (text, document!, diagnostic);
    }

    /// <summary><c>{resolution:int}</c> → <c>{resolution}</c>, <c>/v1/videos/</c> → <c>/v1/videos</c>, as the document writes paths.</summary>
    private static string OpenApiPath(string pattern) => ParameterPattern().Replace("/" + pattern.Trim('/'), "{$1}");

    private static string? SchemaId(IOpenApiSchema? schema) => (schema as OpenApiSchemaReference)?.Reference.Id;

    [GeneratedRegex("\"\\$ref\"\\s*:\\s*\"#/components/schemas/([^\"]+)\"")]
    private static partial Regex RefPattern();

    [GeneratedRegex(@"\{([^}:=?]+)[^}]*\}")]
    private static partial Regex ParameterPattern();

    [GeneratedRegex("(?:src|href)=\"([^\"]+)\"")]
    private static partial Regex AssetPattern();
}
