using System.Net;
using System.Text;
using System.Text.Json;
using Lanyard.Server.Features.Bootstrap;
using Lanyard.Server.Features.Tenants;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Roles;

/// <summary>
/// Helpers of the client, boundary, group and role-assignment tests on top of <see cref="RoleKit"/>: any verb
/// with a JSON body, boundaries and groups made through the API, and callers with a chosen reach.
/// </summary>
internal sealed class RbacKit(LanyardFactory factory)
{
    public RoleKit Roles { get; } = new(factory);

    public string ApplicationId => Roles.ApplicationId;

    public OAuthFlow Flow => Roles.Flow;

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, HttpClient? api = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body, JsonSerializerOptions.Web), Encoding.UTF8, contentType);
        }

        return await (api ?? await Roles.AdminAsync()).SendAsync(request);
    }

    /// <summary>Sends and expects <paramref name="status"/>; answers the JSON body (an empty object for 204).</summary>
    public async Task<JsonElement> ExpectAsync(HttpStatusCode status, HttpMethod method, string path, object? body = null, HttpClient? api = null)
    {
        using var response = await SendAsync(method, path, body, api);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        return document.RootElement.Clone();
    }

    /// <summary>The violation codes of <paramref name="field"/> in a 400 answer to <paramref name="method"/> <paramref name="path"/>.</summary>
    public async Task<string[]> ViolationsAsync(HttpMethod method, string path, object body, string field, HttpClient? api = null)
    {
        using var response = await SendAsync(method, path, body, api);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        return await RoleKit.ViolationsAsync(response, field);
    }

    /// <summary>The status and <c>code</c> of a <c>base_error</c> answer.</summary>
    public async Task<(HttpStatusCode Status, string? Code)> ErrorAsync(HttpMethod method, string path, object? body = null, HttpClient? api = null)
    {
        using var response = await SendAsync(method, path, body, api);
        var text = await response.Content.ReadAsStringAsync();
        if (text.Length == 0)
        {
            return (response.StatusCode, null);
        }

        using var document = JsonDocument.Parse(text);
        return (response.StatusCode, document.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null);
    }

    public static string Id(JsonElement item) => item.GetProperty("id").GetString()!;

    public static string[] Ids(JsonElement page) => [.. page.GetProperty("items").EnumerateArray().Select(Id)];

    public Task<JsonElement> BoundaryAsync(string type, params string[] tenantIds) =>
        ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/api/v1/permission-boundaries",
            new { name = RoleKit.UniqueName("b"), displayName = "A boundary", type, resourceList = tenantIds });

    public async Task<string> PredefinedBoundaryIdAsync(string value)
    {
        var page = await ExpectAsync(HttpStatusCode.OK, HttpMethod.Get,
            $"/api/v1/applications/{ApplicationId}/permission-boundaries?include_predefined_permission_boundaries=true&query=name eq \"predefined:{value}\"");
        return Id(page.GetProperty("items")[0]);
    }

    public async Task<JsonElement> GroupAsync(string? boundaryId, params string[] permissionValues)
    {
        var group = await ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/api/v1/permission-groups",
            new { name = RoleKit.UniqueName("g"), displayName = "A group", permissionBoundaryId = boundaryId });
        if (permissionValues.Length > 0)
        {
            await ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, $"/api/v1/permission-groups/{Id(group)}/assign-permissions",
                new { permissionIds = await PermissionIdsAsync(permissionValues) });
        }

        return group;
    }

    public async Task<string[]> PermissionIdsAsync(params string[] values)
    {
        var ids = new List<string>();
        foreach (var value in values)
        {
            ids.Add(await Roles.PermissionIdAsync(value));
        }

        return [.. ids];
    }

    /// <summary>An application role with the given permissions (and optionally a boundary and groups), made by the admin client.</summary>
    public async Task<JsonElement> RoleAsync(Tenant? tenant, string? boundaryId, string[] permissionValues, params string[] groupIds)
    {
        var role = await Roles.RoleAsync(tenant, displayName: "Kit role");
        if (permissionValues.Length > 0)
        {
            await Roles.GrantAsync(Id(role), await PermissionIdsAsync(permissionValues));
        }

        if (boundaryId is not null)
        {
            role = await ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/api/v1/roles/{Id(role)}", new { permissionBoundaryId = boundaryId });
        }

        if (groupIds.Length > 0)
        {
            await ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, $"/api/v1/roles/{Id(role)}/assign-permission-groups", new { permissionGroupIds = groupIds });
        }

        return role;
    }

    /// <summary>A fresh machine-to-machine client holding one application role with the permissions under the boundary: its API client.</summary>
    public async Task<HttpClient> ClientApiAsync(string? boundaryId, params string[] permissionValues)
    {
        var client = await Roles.MachineClientAsync();
        var role = await RoleAsync(null, boundaryId, permissionValues);
        await ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, $"/api/v1/clients/{client.Id}/assign-roles", new { roleIds = new[] { Id(role) } });
        return Roles.Bearer(await Roles.ClientTokenAsync(client));
    }

    /// <summary>Every predefined management permission, for callers meant to be stopped by reach alone.</summary>
    public static string[] AllPermissions => [.. ManagementPermissions.All];
}
