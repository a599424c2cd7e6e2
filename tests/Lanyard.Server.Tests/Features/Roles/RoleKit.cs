using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lanyard.Server.Tests.Features.Roles;

/// <summary>Helpers of the role tests: the admin API, roles and permissions made through the API, user tokens, token payloads.</summary>
internal sealed class RoleKit(LanyardFactory factory)
{
    public const string AllScopes = "openid offline_access email roles";
    private static int _counter;
    private HttpClient? _admin;

    public OAuthFlow Flow { get; } = new(factory);

    public string ApplicationId => factory.Bootstrap.ApplicationId;

    public async Task<HttpClient> AdminAsync() => _admin ??= await factory.AdminApiAsync();

    /// <summary>A fresh role name (without prefix) that satisfies the naming rule.</summary>
    public static string UniqueName(string prefix = "r") => $"{prefix}-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid():N}"[..30];

    public async Task<HttpResponseMessage> PostAsync(string path, object body, HttpClient? api = null) =>
        await (api ?? await AdminAsync()).PostAsJsonAsync(path, body);

    public async Task<HttpResponseMessage> GetAsync(string path, HttpClient? api = null) =>
        await (api ?? await AdminAsync()).GetAsync(new Uri(path, UriKind.Relative));

    public Task<HttpResponseMessage> CreateRoleAsync(string ownerType, string ownerId, string name, string displayName = "A role", HttpClient? api = null) =>
        PostAsync("/api/v1/roles", new { name, displayName, ownerType, ownerId }, api);

    /// <summary>Creates a role through the API (expects 201) and returns its JSON.</summary>
    public async Task<JsonElement> RoleAsync(Tenant? tenant = null, string? name = null, string displayName = "A role")
    {
        using var response = await CreateRoleAsync(tenant is null ? "APPLICATION" : "TENANT", tenant?.Id ?? ApplicationId, name ?? UniqueName(), displayName);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await BodyAsync(response);
    }

    /// <summary>Creates a custom permission through the API and returns its id.</summary>
    public async Task<string> PermissionAsync(string value)
    {
        using var response = await PostAsync("/api/v1/permissions", new { value, description = "test" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await BodyAsync(response)).GetProperty("id").GetString()!;
    }

    /// <summary>The id of an existing (e.g. predefined) permission.</summary>
    public async Task<string> PermissionIdAsync(string value)
    {
        await using var scope = factory.ScopeFor(ApplicationId);
        return await LanyardFactory.Db(scope).Permissions.Where(p => p.Value == value).Select(p => p.Id).SingleAsync();
    }

    /// <summary>Gives a role permissions through the API, in as many requests as the per-request limit needs.</summary>
    public async Task GrantAsync(string roleId, params string[] permissionIds)
    {
        foreach (var chunk in permissionIds.Chunk(100))
        {
            using var response = await PostAsync($"/api/v1/roles/{roleId}/assign-permissions", new { permissionIds = chunk });
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
    }

    public Task<HttpResponseMessage> AssignAsync(string userId, string[] roleIds, HttpClient? api = null) =>
        PostAsync($"/api/v1/users/{userId}/assign-roles", new { roleIds }, api);

    public Task<HttpResponseMessage> UnassignAsync(string userId, string[] roleIds, HttpClient? api = null) =>
        PostAsync($"/api/v1/users/{userId}/unassign-roles", new { roleIds }, api);

    public async Task<string[]> AssignedRoleNamesAsync(string userId)
    {
        using var response = await GetAsync($"/api/v1/users/{userId}/roles");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await BodyAsync(response)).GetProperty("items").EnumerateArray().Select(r => r.GetProperty("name").GetString()!)];
    }

    public async Task<User> UserAsync(Tenant tenant) => await factory.CreateUserAsync(tenant, $"u{Guid.NewGuid():N}@example.com");

    /// <summary>
    /// A user of <paramref name="tenant"/> holding one application role with the given permissions, logged in
    /// through the demo client: its access token as an API client.
    /// </summary>
    public async Task<(User User, HttpClient Api, JsonElement Role)> UserApiAsync(Tenant tenant, params string[] permissionValues)
    {
        var role = await RoleAsync(displayName: "User API role");
        var roleId = role.GetProperty("id").GetString()!;
        var ids = new List<string>();
        foreach (var value in permissionValues)
        {
            ids.Add(await PermissionIdAsync(value));
        }

        if (ids.Count > 0)
        {
            await GrantAsync(roleId, [.. ids]);
        }

        var user = await UserAsync(tenant);
        using (var assigned = await AssignAsync(user.Id, [roleId]))
        {
            Assert.Equal(HttpStatusCode.NoContent, assigned.StatusCode);
        }

        var (tokens, _) = await Flow.LoginAsync(Flow.DemoClient, tenant.Name, user.Email);
        return (user, Bearer(tokens.AccessToken), role);
    }

    /// <summary>A machine-to-machine client and a fresh client_credentials token of it.</summary>
    public async Task<TestClient> MachineClientAsync() =>
        await Flow.CreateClientAsync(OAuthClientType.MachineToMachine, "https://unused.example/cb");

    public async Task<string> ClientTokenAsync(TestClient client, string scope = "roles")
    {
        using var response = await Flow.TokenRequestAsync(client, new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = scope });
        return (await OAuthFlow.ReadTokensAsync(response)).AccessToken;
    }

    public HttpClient Bearer(string? token)
    {
        var api = factory.ClientFor(LanyardFactory.ApplicationHost);
        if (token is not null)
        {
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return api;
    }

    public static JsonElement Payload(string jwt)
    {
        using var document = JsonDocument.Parse(Base64UrlEncoder.Decode(new JsonWebToken(jwt).EncodedPayload));
        return document.RootElement.Clone();
    }

    /// <summary>The role names of a token payload or userinfo body; null when it has no <c>roles</c> claim.</summary>
    public static string[]? RoleNames(JsonElement claims) =>
        claims.TryGetProperty("roles", out var roles)
            ? [.. roles.EnumerateArray().Select(r => r.GetProperty("name").GetString()!).Order(StringComparer.Ordinal)]
            : null;

    public static async Task<JsonElement> BodyAsync(HttpResponseMessage response)
    {
        await response.Content.LoadIntoBufferAsync();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    public static async Task<string[]> ViolationsAsync(HttpResponseMessage response, string field)
    {
        var body = await BodyAsync(response);
        Assert.Equal("constraint_violations_error", body.GetProperty("type").GetString());
        return body.GetProperty("violations").TryGetProperty(field, out var list)
            ? [.. list.EnumerateArray().Select(v => v.GetProperty("code").GetString()!)]
            : [];
    }

    public static async Task<string?> ErrorCodeAsync(HttpResponseMessage response) =>
        (await BodyAsync(response)).GetProperty("code").GetString();
}
