using System.Net;
using System.Text.Json;
using Lanyard.Server.Hosting;
using Lanyard.Server.Tests.Features.Roles;
using Lanyard.Testing;
using Microsoft.AspNetCore.Routing;

namespace Lanyard.Server.Tests.Features.OpenApi;

/// <summary>The OpenAPI document and the API reference page: complete (every /api/v1 route), with each route's permission, and offline.</summary>
public abstract class OpenApiTests(LanyardFactory factory)
{
    [Fact]
    public async Task The_document_lists_every_api_route_with_its_permission()
    {
        await factory.StartAsync();
        using var api = factory.ClientFor(LanyardFactory.ApplicationHost);
        using var response = await api.GetAsync(new Uri("/api/v1/openapi.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await RoleKit.BodyAsync(response);
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = document.GetProperty("paths");

        // Every /api/v1 route of the routing table, each method of it, enumerated from the server itself.
        var routes = ApiDocument.ApiEndpoints(factory.Services.GetRequiredService<EndpointDataSource>()).ToList();
        Assert.True(routes.Count > 60, $"only {routes.Count} routes found");
        var missing = new List<string>();
        foreach (var endpoint in routes)
        {
            var path = ApiDocument.PathOf(endpoint);
            foreach (var method in ApiDocument.MethodsOf(endpoint))
            {
                if (!paths.TryGetProperty(path, out var item) || !item.TryGetProperty(method.ToLowerInvariant(), out var operation))
                {
                    missing.Add($"{method} {path}");
                    continue;
                }

                // The permission the filter enforces is stated in the description and as an extension.
                var permission = endpoint.Metadata.GetMetadata<Lanyard.Server.Features.ApiAuthorization.RequiredPermission>()?.Permission;
                var description = operation.GetProperty("description").GetString()!;
                if (permission is null)
                {
                    Assert.Contains("**Permission:** none", description, StringComparison.Ordinal);
                }
                else
                {
                    Assert.Contains($"**Permission:** `{permission}`", description, StringComparison.Ordinal);
                    Assert.Equal(permission, operation.GetProperty(ApiDocument.PermissionExtension).GetString());
                    Assert.True(operation.TryGetProperty("security", out _), $"{method} {path} has no security requirement");
                }
            }
        }

        Assert.Empty(missing);
        foreach (var path in paths.EnumerateObject())
        {
            Assert.StartsWith("/api/v1/", path.Name, StringComparison.Ordinal);
        }

        var createClient = paths.GetProperty("/api/v1/clients").GetProperty("post");
        Assert.Contains("`client:create`", createClient.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.True(createClient.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task The_reference_page_is_html_from_this_server_only()
    {
        await factory.StartAsync();
        using var api = factory.ClientFor(LanyardFactory.ApplicationHost);
        using var response = await api.GetAsync(new Uri("/api/v1/docs", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("data-path=\"/api/v1/clients/{id}/rotate-secret\"", html, StringComparison.Ordinal);
        Assert.Contains("<code>client:write</code>", html, StringComparison.Ordinal);

        // Offline: no absolute URL to any other origin, no script; its stylesheet is served by this server.
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);
        Assert.Contains("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        using var css = await api.GetAsync(new Uri("/css/api-reference.css", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);

        // Only on the application host, like the API.
        var tenant = await factory.CreateTenantAsync();
        using var onTenantHost = factory.ClientFor(LanyardFactory.TenantHost(tenant.Name));
        using var notHere = await onTenantHost.GetAsync(new Uri("/api/v1/openapi.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, notHere.StatusCode);
    }

    [Fact]
    public void Text_from_the_document_is_encoded_on_the_page()
    {
        var document = JsonDocument.Parse("""
            {"info":{"title":"<script>x</script>","description":"`a<b>` **c**"},
             "paths":{"/api/v1/x":{"get":{"tags":["t"],"summary":"<img src=x>","description":"**Permission:** `p`"}}}}
            """).RootElement;
        var html = ApiReferencePage.Render(System.Text.Json.Nodes.JsonNode.Parse(document.GetRawText())!.AsObject());
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.Contains("<code>a&lt;b&gt;</code>", html, StringComparison.Ordinal);
        Assert.Contains("<strong>c</strong>", html, StringComparison.Ordinal);
    }
}

public sealed class OpenApiOnSqlite(SqliteLanyard factory) : OpenApiTests(factory), IClassFixture<SqliteLanyard>;

public sealed class OpenApiOnPostgres(PostgresLanyard factory) : OpenApiTests(factory), IClassFixture<PostgresLanyard>;
