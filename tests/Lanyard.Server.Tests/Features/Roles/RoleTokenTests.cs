using System.Net;
using Lanyard.Server.Features.Clients;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Roles;

/// <summary>Roles in ID tokens, access tokens, userinfo and client-credentials tokens.</summary>
public abstract class RoleTokenTests(LanyardFactory factory)
{
    private readonly RoleKit _kit = new(factory);

    [Fact]
    public async Task The_roles_scope_puts_the_users_roles_in_both_tokens_and_userinfo_and_a_refresh_follows_changes()
    {
        var tenant = await factory.CreateTenantAsync();
        var user = await _kit.UserAsync(tenant);
        var appRole = await _kit.RoleAsync(displayName: "Viewer");
        var tenantRole = await _kit.RoleAsync(tenant, displayName: "Tenant admin");
        var appRoleId = appRole.GetProperty("id").GetString()!;
        var tenantRoleId = tenantRole.GetProperty("id").GetString()!;
        using (var assigned = await _kit.AssignAsync(user.Id, [appRoleId, tenantRoleId]))
        {
            Assert.Equal(HttpStatusCode.NoContent, assigned.StatusCode);
        }

        var (tokens, _) = await _kit.Flow.LoginAsync(_kit.Flow.DemoClient, tenant.Name, user.Email, scope: RoleKit.AllScopes);
        string[] both = [.. new[] { appRole.GetProperty("name").GetString()!, tenantRole.GetProperty("name").GetString()! }.Order(StringComparer.Ordinal)];
        var access = RoleKit.Payload(tokens.AccessToken);
        var id = RoleKit.Payload(tokens.IdToken!);
        Assert.Equal(both, RoleKit.RoleNames(access));
        Assert.Equal(both, RoleKit.RoleNames(id));
        var claim = id.GetProperty("roles").EnumerateArray().Single(r => r.GetProperty("id").GetString() == tenantRoleId);
        Assert.Equal("Tenant admin", claim.GetProperty("display_name").GetString());
        Assert.Equal($"tnt:{tenant.Name}:", claim.GetProperty("name").GetString()![..(5 + tenant.Name.Length)]);
        Assert.Equal(3, claim.EnumerateObject().Count());

        using (var info = await _kit.Flow.UserinfoAsync(tokens.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, info.StatusCode);
            Assert.Equal(both, RoleKit.RoleNames(await RoleKit.BodyAsync(info)));
        }

        using (var unassigned = await _kit.UnassignAsync(user.Id, [tenantRoleId]))
        {
            Assert.Equal(HttpStatusCode.NoContent, unassigned.StatusCode);
        }

        var refreshed = await OAuthFlow.ReadTokensAsync(await _kit.Flow.RefreshAsync(_kit.Flow.DemoClient, tokens.RefreshToken!));
        string[] remaining = [appRole.GetProperty("name").GetString()!];
        Assert.Equal(remaining, RoleKit.RoleNames(RoleKit.Payload(refreshed.AccessToken)));
        Assert.Equal(remaining, RoleKit.RoleNames(RoleKit.Payload(refreshed.IdToken!)));
        using (var info = await _kit.Flow.UserinfoAsync(refreshed.AccessToken))
        {
            Assert.Equal(remaining, RoleKit.RoleNames(await RoleKit.BodyAsync(info)));
        }

        // Removing the last role leaves an empty list, not a missing claim: the scope was granted.
        using (var unassigned = await _kit.UnassignAsync(user.Id, [appRoleId]))
        {
            Assert.Equal(HttpStatusCode.NoContent, unassigned.StatusCode);
        }

        var emptied = await OAuthFlow.ReadTokensAsync(await _kit.Flow.RefreshAsync(_kit.Flow.DemoClient, refreshed.RefreshToken!));
        Assert.Equal(Array.Empty<string>(), RoleKit.RoleNames(RoleKit.Payload(emptied.AccessToken)));
        Assert.Equal(Array.Empty<string>(), RoleKit.RoleNames(RoleKit.Payload(emptied.IdToken!)));
    }

    [Fact]
    public async Task Without_the_roles_scope_no_token_carries_roles()
    {
        var tenant = await factory.CreateTenantAsync();
        var user = await _kit.UserAsync(tenant);
        var role = await _kit.RoleAsync();
        using (var assigned = await _kit.AssignAsync(user.Id, [role.GetProperty("id").GetString()!]))
        {
            Assert.Equal(HttpStatusCode.NoContent, assigned.StatusCode);
        }

        var (tokens, _) = await _kit.Flow.LoginAsync(_kit.Flow.DemoClient, tenant.Name, user.Email);
        Assert.Null(RoleKit.RoleNames(RoleKit.Payload(tokens.AccessToken)));
        Assert.Null(RoleKit.RoleNames(RoleKit.Payload(tokens.IdToken!)));
        using var info = await _kit.Flow.UserinfoAsync(tokens.AccessToken);
        Assert.Null(RoleKit.RoleNames(await RoleKit.BodyAsync(info)));
    }

    [Fact]
    public async Task A_machine_clients_roles_are_in_its_client_credentials_tokens()
    {
        var client = await _kit.MachineClientAsync();
        Assert.Equal(Array.Empty<string>(), RoleKit.RoleNames(RoleKit.Payload(await _kit.ClientTokenAsync(client))));

        var role = await _kit.RoleAsync(displayName: "Reporting job");
        var roleId = role.GetProperty("id").GetString()!;
        using (var assigned = await _kit.PostAsync($"/api/v1/clients/{client.Id}/assign-roles", new { roleIds = new[] { roleId } }))
        {
            Assert.Equal(HttpStatusCode.NoContent, assigned.StatusCode);
        }

        Assert.False(RoleKit.Payload(await _kit.ClientTokenAsync(client, scope: "")).TryGetProperty("roles", out _));
        var payload = RoleKit.Payload(await _kit.ClientTokenAsync(client));
        Assert.Equal("client", payload.GetProperty("sub_kind").GetString());
        var claim = Assert.Single(payload.GetProperty("roles").EnumerateArray());
        Assert.Equal(roleId, claim.GetProperty("id").GetString());
        Assert.Equal(role.GetProperty("name").GetString(), claim.GetProperty("name").GetString());
        Assert.Equal("Reporting job", claim.GetProperty("display_name").GetString());

        using (var removed = await _kit.PostAsync($"/api/v1/clients/{client.Id}/unassign-roles", new { roleIds = new[] { roleId } }))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        Assert.Equal(Array.Empty<string>(), RoleKit.RoleNames(RoleKit.Payload(await _kit.ClientTokenAsync(client))));
    }

    [Fact]
    public async Task Client_role_assignment_refuses_tenant_roles_other_client_types_and_unknown_clients()
    {
        var client = await _kit.MachineClientAsync();
        var tenant = await factory.CreateTenantAsync();
        var tenantRole = (await _kit.RoleAsync(tenant)).GetProperty("id").GetString()!;
        using (var response = await _kit.PostAsync($"/api/v1/clients/{client.Id}/assign-roles", new { roleIds = new[] { tenantRole } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal(["invalid_value"], await RoleKit.ViolationsAsync(response, "roleIds"));
        }

        var appRole = (await _kit.RoleAsync()).GetProperty("id").GetString()!;
        var backend = await _kit.Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        using (var response = await _kit.PostAsync($"/api/v1/clients/{backend.Id}/assign-roles", new { roleIds = new[] { appRole } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("invalid_client_type", await RoleKit.ErrorCodeAsync(response));
        }

        using (var response = await _kit.PostAsync("/api/v1/clients/nosuchclient/assign-roles", new { roleIds = new[] { appRole } }))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("client_not_found", await RoleKit.ErrorCodeAsync(response));
        }

        using (var response = await _kit.PostAsync($"/api/v1/clients/{client.Id}/assign-roles", new { roleIds = Array.Empty<string>() }))
        {
            Assert.Equal(["required"], await RoleKit.ViolationsAsync(response, "roleIds"));
        }
    }
}

public sealed class RoleTokenOnSqlite(SqliteLanyard factory) : RoleTokenTests(factory), IClassFixture<SqliteLanyard>;

public sealed class RoleTokenOnPostgres(PostgresLanyard factory) : RoleTokenTests(factory), IClassFixture<PostgresLanyard>;
