using System.Net;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Tests.Features.Tenants.Api;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Users.Api;

/// <summary>
/// Every route of the application, tenant and user resources, tried by callers confined to tenant A (a user
/// of A, and a client whose grants list only A) on tenant B's ids in the path and in the body: each answer
/// is 404 (or 403 for a tenant named in a body, or for the application itself), carries nothing of B, and B
/// is left exactly as it was. The same callers reach A's objects, so the refusals are about B, not about them.
/// </summary>
public abstract class CrossTenantProbeTests(LanyardFactory factory)
{
    private static readonly string[] Everything =
    [
        "application:read", "application:write",
        "tenant:create", "tenant:read", "tenant:write", "tenant:delete",
        "tenant:manage-status", "tenant:manage-signup-enablement", "tenant:manage-restricted-metadata",
        "user:create", "user:read", "user:write", "user:delete",
        "user:manage-email", "user:manage-external-id", "user:manage-restricted-metadata", "user:manage-status",
        "auth-session:delete",
    ];

    private readonly ResourceKit _kit = new(factory);

    /// <summary>One route with B's ids filled in: what a confined caller must get.</summary>
    private sealed record Probe(HttpMethod Method, string Path, string? Body, HttpStatusCode Status, string Code);

    private static IEnumerable<Probe> Probes(string applicationId, Tenant b, User bUser) =>
    [
        new(HttpMethod.Get, $"/api/v1/tenants/{b.Id}", null, HttpStatusCode.NotFound, "tenant_not_found"),
        new(HttpMethod.Get, $"/api/v1/tenants/{b.Id}?fields=*", null, HttpStatusCode.NotFound, "tenant_not_found"),
        new(HttpMethod.Patch, $"/api/v1/tenants/{b.Id}", """{"displayName":"pwned","status":"INACTIVE"}""", HttpStatusCode.NotFound, "tenant_not_found"),
        new(HttpMethod.Delete, $"/api/v1/tenants/{b.Id}", null, HttpStatusCode.NotFound, "tenant_not_found"),
        new(HttpMethod.Post, "/api/v1/tenants?upsert=true", $$"""{"applicationId":"{{applicationId}}","name":"{{b.Name}}","displayName":"pwned"}""", HttpStatusCode.Forbidden, "forbidden"),
        new(HttpMethod.Get, $"/api/v1/users/{bUser.Id}", null, HttpStatusCode.NotFound, "user_not_found"),
        new(HttpMethod.Patch, $"/api/v1/users/{bUser.Id}", """{"givenName":"pwned","status":"INACTIVE"}""", HttpStatusCode.NotFound, "user_not_found"),
        new(HttpMethod.Delete, $"/api/v1/users/{bUser.Id}", null, HttpStatusCode.NotFound, "user_not_found"),
        new(HttpMethod.Delete, $"/api/v1/users/{bUser.Id}/auth-sessions", null, HttpStatusCode.NotFound, "user_not_found"),
        new(HttpMethod.Post, "/api/v1/users", $$"""{"tenantId":"{{b.Id}}","email":"intruder@example.com"}""", HttpStatusCode.Forbidden, "forbidden"),
        new(HttpMethod.Get, $"/api/v1/applications/{applicationId}", null, HttpStatusCode.Forbidden, "forbidden"),
        new(HttpMethod.Patch, $"/api/v1/applications/{applicationId}", """{"signupEnabled":true}""", HttpStatusCode.Forbidden, "forbidden"),
    ];

    [Fact]
    public async Task A_user_of_tenant_a_sees_nothing_of_tenant_b()
    {
        var (a, b) = (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());
        var (aUser, api) = await _kit.UserApiAsync(a, Everything);
        await ProbeAsync(api, a, aUser, b);
    }

    [Fact]
    public async Task A_client_listing_only_tenant_a_sees_nothing_of_tenant_b()
    {
        var (a, b) = (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());
        var aUser = await factory.CreateUserAsync(a, $"a{Guid.NewGuid():N}@example.com");
        var api = await _kit.InclusionListClientAsync([a], Everything);
        await ProbeAsync(api, a, aUser, b);
    }

    private async Task ProbeAsync(HttpClient api, Tenant a, User aUser, Tenant b)
    {
        var bUser = await factory.CreateUserAsync(b, $"secret-{Guid.NewGuid():N}@example.com");
        var flow = new OAuthFlow(factory);
        await flow.LoginAsync(flow.DemoClient, b.Name, bUser.Email);
        var before = await SnapshotAsync(b, bUser);

        foreach (var probe in Probes(_kit.ApplicationId, b, bUser))
        {
            using var response = await ResourceKit.SendAsync(api, probe.Method, probe.Path, probe.Body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == probe.Status, $"{probe.Method} {probe.Path}: {(int)response.StatusCode} {text}");
            await ResourceKit.AssertErrorAsync(response, probe.Status, probe.Code);
            Assert.DoesNotContain(bUser.Email, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(b.Name, text, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(before, await SnapshotAsync(b, bUser));
        Assert.EndsWith("|1", before, StringComparison.Ordinal);

        // The same caller reaches its own tenant, so every refusal above was about B.
        using (var ownTenant = await ResourceKit.GetAsync(api, $"/api/v1/tenants/{a.Id}"))
        {
            Assert.Equal(HttpStatusCode.OK, ownTenant.StatusCode);
        }

        using (var ownUser = await ResourceKit.PatchAsync(api, $"/api/v1/users/{aUser.Id}", new { givenName = "Allowed" }))
        {
            Assert.Equal(HttpStatusCode.OK, ownUser.StatusCode);
        }

        using var created = await ResourceKit.PostAsync(api, "/api/v1/users", new { tenantId = a.Id, email = $"n{Guid.NewGuid():N}@example.com" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    /// <summary>Everything a probe could have changed about B: its row, its user's row, and the user's sessions.</summary>
    private async Task<string> SnapshotAsync(Tenant b, User bUser)
    {
        await using var scope = factory.ScopeFor(_kit.ApplicationId, b.Id);
        var db = LanyardFactory.Db(scope);
        var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == b.Id);
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == bUser.Id);
        var liveSessions = await db.AuthSessions.CountAsync(s => s.UserId == bUser.Id && s.RevokedAt == null);
        return $"{tenant.Status}|{tenant.DisplayName}|{tenant.Version}|{user.Status}|{user.GivenName}|{user.Version}|{liveSessions}";
    }
}

public sealed class CrossTenantProbeOnSqlite(SqliteLanyard factory) : CrossTenantProbeTests(factory), IClassFixture<SqliteLanyard>;

public sealed class CrossTenantProbeOnPostgres(PostgresLanyard factory) : CrossTenantProbeTests(factory), IClassFixture<PostgresLanyard>;
