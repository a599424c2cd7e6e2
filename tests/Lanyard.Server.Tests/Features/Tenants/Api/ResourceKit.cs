using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Tests.Features.Roles;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Tenants.Api;

/// <summary>
/// Helpers of the application, tenant and user resource tests: callers with exactly the permissions a test
/// names (a client over the whole application, a client under a tenant inclusion list, a user of one
/// tenant), JSON requests and the two error shapes.
/// </summary>
internal sealed class ResourceKit(LanyardFactory factory)
{
    public const string MergePatchJson = "application/merge-patch+json";

    public RoleKit Roles { get; } = new(factory);

    public string ApplicationId => factory.Bootstrap.ApplicationId;

    public Task<HttpClient> AdminAsync() => Roles.AdminAsync();

    /// <summary>No Authorization header at all.</summary>
    public HttpClient Anonymous() => factory.ClientFor(LanyardFactory.ApplicationHost);

    /// <summary>A machine-to-machine client whose one role holds <paramref name="permissions"/> (natural boundary: the whole application).</summary>
    public Task<HttpClient> ClientApiAsync(params string[] permissions) => ClientWithBoundaryAsync(null, permissions);

    /// <summary>A machine-to-machine client whose role holds <paramref name="permissions"/> only for the listed tenants.</summary>
    public async Task<HttpClient> InclusionListClientAsync(Tenant[] tenants, params string[] permissions)
    {
        await using var scope = factory.ScopeFor(ApplicationId);
        var db = LanyardFactory.Db(scope);
        var boundary = new PermissionBoundary
        {
            Id = LanyardId.New(factory.Time),
            Name = $"app:test:{Guid.NewGuid():N}",
            DisplayName = "Inclusion list",
            Type = PermissionBoundaryType.TenantInclusionList,
            ResourceList = [.. tenants.Select(t => t.Id)],
        };
        db.PermissionBoundaries.Add(boundary);
        await db.SaveChangesAsync();
        return await ClientWithBoundaryAsync(boundary.Id, permissions);
    }

    /// <summary>A user of <paramref name="tenant"/> logged in through the demo client, whose role holds <paramref name="permissions"/>.</summary>
    public async Task<(User User, HttpClient Api)> UserApiAsync(Tenant tenant, params string[] permissions)
    {
        var (user, api, _) = await Roles.UserApiAsync(tenant, permissions);
        return (user, api);
    }

    private async Task<HttpClient> ClientWithBoundaryAsync(string? boundaryId, string[] permissions)
    {
        var client = await Roles.MachineClientAsync();
        var roleId = (await Roles.RoleAsync(displayName: "Resource test client")).GetProperty("id").GetString()!;
        await using (var scope = factory.ScopeFor(ApplicationId))
        {
            var db = LanyardFactory.Db(scope);
            var ids = await db.Permissions.Where(p => permissions.Contains(p.Value)).Select(p => p.Id).ToListAsync();
            Assert.Equal(permissions.Distinct().Count(), ids.Count);
            db.RolePermissions.AddRange(ids.Select(id => new RolePermission { RoleId = roleId, PermissionId = id }));
            (await db.Roles.AsTracking().SingleAsync(r => r.Id == roleId)).PermissionBoundaryId = boundaryId;
            db.ClientRoles.Add(new ClientRole { ClientId = client.Id, RoleId = roleId });
            await db.SaveChangesAsync();
        }

        return Roles.Bearer(await Roles.ClientTokenAsync(client));
    }

    public static Task<HttpResponseMessage> PostAsync(HttpClient api, string path, object body) =>
        SendAsync(api, HttpMethod.Post, path, JsonSerializer.Serialize(body));

    public static Task<HttpResponseMessage> PatchAsync(HttpClient api, string path, object body) =>
        SendAsync(api, HttpMethod.Patch, path, JsonSerializer.Serialize(body), MergePatchJson);

    public static async Task<HttpResponseMessage> SendAsync(HttpClient api, HttpMethod method, string path, string? json = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        var response = await api.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    public static Task<HttpResponseMessage> GetAsync(HttpClient api, string path) => SendAsync(api, HttpMethod.Get, path);

    public static Task<HttpResponseMessage> DeleteAsync(HttpClient api, string path) => SendAsync(api, HttpMethod.Delete, path);

    public static Task<JsonElement> BodyAsync(HttpResponseMessage response) => RoleKit.BodyAsync(response);

    /// <summary>Asserts a <c>base_error</c> with this status and code.</summary>
    public static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        var body = await BodyAsync(response);
        Assert.Equal("base_error", body.GetProperty("type").GetString());
        Assert.Equal(code, body.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("ticket").GetString()));
    }

    /// <summary>Asserts a 400 <c>constraint_violations_error</c> whose <paramref name="field"/> carries <paramref name="code"/>; returns that violation.</summary>
    public static async Task<JsonElement> AssertViolationAsync(HttpResponseMessage response, string field, string code)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await BodyAsync(response);
        Assert.Equal("constraint_violations_error", body.GetProperty("type").GetString());
        Assert.Equal("message_body_constraint_violations", body.GetProperty("code").GetString());
        Assert.True(body.GetProperty("violations").TryGetProperty(field, out var list), $"no violation on {field}: {body}");
        var match = list.EnumerateArray().FirstOrDefault(v => v.GetProperty("code").GetString() == code);
        Assert.True(match.ValueKind == JsonValueKind.Object, $"{field} has no {code}: {body}");
        return match;
    }

    /// <summary>The 403 of a missing field permission names the permission.</summary>
    public static async Task AssertNeedsPermissionAsync(HttpResponseMessage response, string permission)
    {
        await AssertErrorAsync(response, HttpStatusCode.Forbidden, "forbidden");
        Assert.Contains(permission, (await BodyAsync(response)).GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
