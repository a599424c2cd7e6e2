using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Mfa;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.Tenants;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Policies;

/// <summary>Helpers of the policy API tests: posting, reading answers, and looking behind the API.</summary>
internal sealed class PolicyApiKit(LanyardFactory factory)
{
    private HttpClient? _admin;
    private DateTimeOffset _adminSince;

    public string ApplicationId => factory.Bootstrap.ApplicationId;

    /// <summary>The Application Admin Client's API client; a new token once the fake clock has moved on, so tests may advance time.</summary>
    public async Task<HttpClient> AdminAsync()
    {
        if (_admin is null || factory.Time.GetUtcNow() - _adminSince > TimeSpan.FromMinutes(5))
        {
            _admin?.Dispose();
            _adminSince = factory.Time.GetUtcNow();
            _admin = await factory.AdminApiAsync();
        }

        return _admin;
    }

    public async Task<HttpResponseMessage> PostAsync(string path, object body, HttpClient? api = null) =>
        await (api ?? await AdminAsync()).PostAsJsonAsync(path, body);

    public async Task<HttpResponseMessage> GetAsync(string path, HttpClient? api = null) =>
        await (api ?? await AdminAsync()).GetAsync(new Uri(path, UriKind.Relative));

    public Task<HttpResponseMessage> ResolveAsync(Tenant tenant, HttpClient? api = null) => ResolveAsync(tenant, "mfa-policies", api);

    public Task<HttpResponseMessage> ResolveAsync(Tenant tenant, string collection, HttpClient? api = null) =>
        PostAsync($"/api/v1/tenants/{tenant.Id}/{collection}/resolve-overrides", new { }, api);

    public Task<HttpResponseMessage> ToggleAsync(Tenant tenant, string status, HttpClient? api = null) => ToggleAsync(tenant, status, "mfa-policy", api);

    public Task<HttpResponseMessage> ToggleAsync(Tenant tenant, string status, string resource, HttpClient? api = null) =>
        PostAsync($"/api/v1/{resource}-override-toggles?upsert=true", new { ownerType = "TENANT", ownerId = tenant.Id, status }, api);

    /// <summary>A request body: the owner's fields plus <paramref name="settings"/> (an anonymous object or a dictionary).</summary>
    public static Dictionary<string, object?> Body(string ownerType, string ownerId, object? settings = null)
    {
        var body = new Dictionary<string, object?> { ["ownerType"] = ownerType, ["ownerId"] = ownerId };
        if (settings is IDictionary<string, object?> dictionary)
        {
            foreach (var (key, value) in dictionary)
            {
                body[key] = value;
            }
        }
        else if (settings is not null)
        {
            foreach (var property in settings.GetType().GetProperties())
            {
                body[property.Name] = property.GetValue(settings);
            }
        }

        return body;
    }

    /// <summary>Posts a policy and expects <paramref name="status"/>; returns the answer's JSON.</summary>
    public async Task<JsonElement> PostOkAsync(string path, object body, HttpStatusCode status, HttpClient? api = null)
    {
        using var response = await PostAsync(path, body, api);
        var json = await BodyAsync(response);
        Assert.True(status == response.StatusCode, $"{path}: expected {status}, got {(int)response.StatusCode} {json}");
        return json;
    }

    /// <summary>The answer's JSON; the content is buffered first, so a test may read one answer several times.</summary>
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

    public static string[] Factors(JsonElement policy) =>
        [.. policy.GetProperty("allowedAuthFactors").EnumerateArray().Select(f => f.GetString()!)];

    /// <summary>A tenant's login page and the branding stylesheet it links, as a browser fetches them.</summary>
    public static async Task<(string Html, string Css)> LoginPageAsync(OAuthFlow flow, Tenant tenant)
    {
        using var browser = flow.Browser(tenant.Name);
        var html = await browser.GetStringAsync(new Uri("/login", UriKind.Relative));
        var start = html.IndexOf("href=\"/branding.css?v=", StringComparison.Ordinal);
        Assert.True(start >= 0, "the login page links no branding stylesheet");
        var href = html[(start + 6)..html.IndexOf('"', start + 6)];
        using var response = await browser.GetAsync(new Uri(href, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/css", response.Content.Headers.ContentType!.MediaType);
        return (html, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Removes the application's rows of a kind (MFA by default), for tests that need to start from the built-in defaults.</summary>
    public async Task ResetApplicationPolicyAsync(PolicyKind kind = PolicyKind.Mfa)
    {
        await factory.StartAsync();
        await using var scope = factory.ScopeFor(ApplicationId);
        await LanyardFactory.Db(scope).Policies.Where(p => p.TenantId == null && p.Kind == kind).ExecuteDeleteAsync();
        // A bulk delete passes the save interceptor, so this node's copy of the application's rows is dropped by hand.
        scope.ServiceProvider.GetRequiredService<PolicyDirectory>().Invalidate(ApplicationId, tenantId: null);
    }

    /// <summary>What the server's own resolver (the one the MFA gate asks) sees in a tenant's scope.</summary>
    public async Task<MfaPolicy> ResolverSeesAsync(Tenant? tenant)
    {
        await using var scope = factory.ScopeFor(ApplicationId, tenant?.Id);
        return await scope.ServiceProvider.GetRequiredService<PolicyResolver>().GetAsync<MfaPolicy>(PolicyKind.Mfa);
    }

    /// <summary>The id of the Application Admin Client's role, which holds every management permission.</summary>
    public async Task<string> AdminClientRoleIdAsync()
    {
        await using var scope = factory.ScopeFor(ApplicationId);
        return await LanyardFactory.Db(scope).Roles.Where(r => r.Name.EndsWith(":admin-client")).Select(r => r.Id).SingleAsync();
    }

    /// <summary>An API client with a token of a machine-to-machine client without any role: authenticated, no permission.</summary>
    public async Task<HttpClient> PowerlessApiAsync()
    {
        var flow = new OAuthFlow(factory);
        var client = await flow.CreateClientAsync(OAuthClientType.MachineToMachine, "https://unused.example/cb");
        using var response = await flow.TokenRequestAsync(client, new Dictionary<string, string> { ["grant_type"] = "client_credentials" });
        return Bearer((await OAuthFlow.ReadTokensAsync(response)).AccessToken);
    }

    /// <summary>
    /// An API client with the access token of a user of <paramref name="tenant"/> who holds an application role with
    /// the MFA policy permissions (or those named). The tenant gets an OPTIONAL policy of its own first, so an application policy another
    /// test left at REQUIRED cannot stop the login at the MFA gate.
    /// </summary>
    public Task<HttpClient> TenantAdminApiAsync(Tenant tenant) =>
        TenantAdminApiAsync(tenant, PolicyKinds.Mfa.WritePermission, PolicyKinds.Mfa.ReadPermission);

    /// <summary>As above, with the given permissions.</summary>
    public async Task<HttpClient> TenantAdminApiAsync(Tenant tenant, params string[] permissionValues)
    {
        await factory.SetPolicyAsync(PolicyKind.Mfa, """{"enrollmentStrategy":"OPTIONAL"}""", tenant);
        var email = $"mfa-admin-{Guid.NewGuid():N}@example.com";
        var user = await factory.CreateUserAsync(tenant, email);
        await using (var scope = factory.ScopeFor(ApplicationId))
        {
            var db = LanyardFactory.Db(scope);
            var role = new Role { Id = LanyardId.New(factory.Time), Name = $"app:test:mfa{Guid.NewGuid():N}"[..40], DisplayName = "MFA admin" };
            db.Roles.Add(role);
            var permissions = await db.Permissions
                .Where(p => permissionValues.Contains(p.Value))
                .Select(p => p.Id).ToListAsync();
            foreach (var permission in permissions)
            {
                db.RolePermissions.Add(new RolePermission { RoleId = role.Id, PermissionId = permission });
            }

            await db.SaveChangesAsync();
            await using var tenantScope = factory.ScopeFor(ApplicationId, tenant.Id);
            var tenantDb = LanyardFactory.Db(tenantScope);
            tenantDb.UserRoles.Add(new UserRole { UserId = user.Id, RoleId = role.Id });
            await tenantDb.SaveChangesAsync();
        }

        var flow = new OAuthFlow(factory);
        var (tokens, _) = await flow.LoginAsync(flow.DemoClient, tenant.Name, email);
        return Bearer(tokens.AccessToken);
    }

    private HttpClient Bearer(string token)
    {
        var api = factory.ClientFor(LanyardFactory.ApplicationHost);
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return api;
    }
}
