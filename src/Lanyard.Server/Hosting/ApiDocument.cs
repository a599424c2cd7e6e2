using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.OpenApi;

namespace Lanyard.Server.Hosting;

/// <summary>
/// The OpenAPI document of <c>/api/v1</c>, served at <c>/api/v1/openapi.json</c> on the application host, and
/// the browsable reference at <c>/api/v1/docs</c> (<see cref="ApiReferencePage"/>). The document is generated
/// from the endpoints themselves, then completed from the routing table: every <c>/api/v1</c> route appears,
/// including the protocol endpoints that describe themselves elsewhere (token, userinfo, JWKS), and each
/// operation states the permission its <c>RequirePermission</c> filter enforces, so the reference cannot
/// drift from what the server checks.
/// </summary>
internal static partial class ApiDocument
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/api/v1/openapi.json";
    public const string PermissionExtension = "x-lanyard-permission";
    private const string BearerScheme = "bearer";

    public static IServiceCollection AddApiDocument(this IServiceCollection services) =>
        services.AddOpenApi(DocumentName, options => options.AddDocumentTransformer((document, context, _) =>
        {
            Complete(document, context.ApplicationServices.GetRequiredService<EndpointDataSource>());
            return Task.CompletedTask;
        }));

    public static IEndpointRouteBuilder MapApiDocument(this IEndpointRouteBuilder routes)
    {
        routes.MapOpenApi(DocumentPath).OnHost(HostKind.Application);
        routes.MapGet(ApiReferencePage.Path, ApiReferencePage.RenderAsync).OnHost(HostKind.Application).WithTags("API reference")
            .WithSummary("This reference as an HTML page.");
        return routes;
    }

    /// <summary>An <c>/api/v1</c> route as the document names it: <c>/api/v1/clients/{id}</c> (constraints and defaults dropped).</summary>
    public static string PathOf(RouteEndpoint endpoint) =>
        RouteParameter().Replace("/" + endpoint.RoutePattern.RawText!.TrimStart('/'), m => "{" + m.Groups["name"].Value + "}");

    /// <summary>The HTTP methods of an endpoint; one without method metadata answers any, shown as GET.</summary>
    public static IReadOnlyList<string> MethodsOf(Endpoint endpoint) =>
        endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods is { Count: > 0 } methods ? [.. methods] : [HttpMethods.Get];

    /// <summary>The <c>/api/v1</c> endpoints of the routing table.</summary>
    public static IEnumerable<RouteEndpoint> ApiEndpoints(EndpointDataSource source) =>
        source.Endpoints.OfType<RouteEndpoint>().Where(e => e.RoutePattern.RawText is { } raw && raw.TrimStart('/').StartsWith("api/v1/", StringComparison.Ordinal));

    private static void Complete(OpenApiDocument document, EndpointDataSource endpoints)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Lanyard API",
            Version = "v1",
            Description = "Management, workflow and protocol APIs of a Lanyard application, in Wristband's shapes. " +
                "Call them on the application's vanity domain with `Authorization: Bearer <access token>`; each operation names the permission it needs. " +
                "A missing or invalid token answers 401 `invalid_token`, a missing permission 403 `forbidden`, an object outside the caller's reach 404.",
        };

        // Only /api/v1 is the API: hosted pages and health probes are not.
        foreach (var path in document.Paths.Keys.Where(p => !p.StartsWith("/api/v1/", StringComparison.Ordinal)).ToList())
        {
            document.Paths.Remove(path);
        }

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "An access token of this application: a machine-to-machine client's (client_credentials) or a user's (authorization code).",
        };

        var tags = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var endpoint in ApiEndpoints(endpoints))
        {
            var path = PathOf(endpoint);
            if (!document.Paths.TryGetValue(path, out var found) || found is not OpenApiPathItem item)
            {
                item = NewPathItem(endpoint);
                document.Paths[path] = item;
            }

            item.Operations ??= [];
            foreach (var method in MethodsOf(endpoint))
            {
                var httpMethod = HttpMethod.Parse(method);
                if (!item.Operations.TryGetValue(httpMethod, out var operation))
                {
                    operation = new OpenApiOperation
                    {
                        Summary = endpoint.Metadata.GetMetadata<IEndpointSummaryMetadata>()?.Summary,
                        Responses = new OpenApiResponses { ["default"] = new OpenApiResponse { Description = "See the feature's documentation under docs/." } },
                    };
                    item.Operations[httpMethod] = operation;
                }

                var tag = endpoint.Metadata.GetMetadata<ITagsMetadata>()?.Tags is { Count: > 0 } declared ? declared[0] : TagOf(path);
                tags.Add(tag);
                operation.Tags = new HashSet<OpenApiTagReference> { new(tag, document) };
                Describe(document, operation, endpoint);
            }
        }

        document.Tags = new HashSet<OpenApiTag>(tags.Select(t => new OpenApiTag { Name = t }));
    }

    /// <summary>The permission (or that none is needed), the host, and the security and error answers it implies.</summary>
    private static void Describe(OpenApiDocument document, OpenApiOperation operation, RouteEndpoint endpoint)
    {
        var permission = endpoint.Metadata.GetMetadata<RequiredPermission>()?.Permission;
        var host = endpoint.Metadata.GetMetadata<HostKindAttribute>()?.Kind == HostKind.Tenant
            ? "Served on a tenant's host (`{tenant}-{application domain}`)."
            : "Served on the application's vanity domain.";
        var rule = permission is null
            ? "**Permission:** none — this endpoint authenticates its caller itself (see its documentation)."
            : $"**Permission:** `{permission}`.";
        var existing = operation.Description is { Length: > 0 } text && !text.Contains("**Permission:**", StringComparison.Ordinal) ? text + "\n\n" : "";
        operation.Description = $"{existing}{rule} {host}";
        if (permission is null)
        {
            return;
        }

        operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
        operation.Extensions[PermissionExtension] = new JsonNodeExtension(JsonValue.Create(permission));
        operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];
        operation.Responses ??= [];
        operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No valid access token (`invalid_token`)." });
        operation.Responses.TryAdd("403", new OpenApiResponse { Description = $"The token lacks `{permission}` (`forbidden`)." });
    }

    private static OpenApiPathItem NewPathItem(RouteEndpoint endpoint) => new()
    {
        Operations = [],
        Parameters = [.. endpoint.RoutePattern.Parameters.Select(p => (IOpenApiParameter)new OpenApiParameter
        {
            Name = p.Name,
            In = ParameterLocation.Path,
            Required = true,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        })],
    };

    /// <summary>A tag for an undeclared endpoint: its first path segment after <c>/api/v1</c>, e.g. <c>OAuth2</c>, <c>Users</c>, <c>Permission info</c>.</summary>
    private static string TagOf(string path) => path["/api/v1/".Length..].Split('/')[0] switch
    {
        "oauth2" => "OAuth2",
        "openapi.json" => "API reference",
        { Length: > 0 } first => char.ToUpperInvariant(first[0]) + first[1..].Replace('-', ' '),
        _ => "API",
    };

    [GeneratedRegex(@"\{\**(?<name>[^}:=?]+)[^}]*\}", RegexOptions.CultureInvariant)]
    private static partial Regex RouteParameter();
}
