using System.Net;
using System.Net.Http.Json;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Invitations;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Tests.Features.Invitations;
using Lanyard.Server.Tests.Features.Roles;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.ApiAuthorization;

/// <summary>
/// Permission boundaries: where a held permission reaches. Each test gives a caller one role under one
/// boundary and probes objects inside and outside it through the API; outside must look like absent.
/// </summary>
public abstract class BoundaryTests(LanyardFactory factory)
{
    private readonly RoleKit _kit = new(factory);

    [Fact]
    public async Task A_client_under_a_tenant_inclusion_list_reaches_only_the_listed_tenants()
    {
        var (inside, outside) = (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());
        var boundary = await BoundaryAsync(PermissionBoundaryType.TenantInclusionList, inside.Id);
        var api = await ClientApiAsync(boundary, viaGroup: false, "tenant:read", "role:read", "role:create");

        Assert.Equal([inside.Id], await ListedTenantIdsAsync(api, inside, outside));
        await AssertRoleVisibilityAsync(api, visible: inside, hidden: outside);

        // Creating: a role of the listed tenant, yes; of another tenant or of the application, no.
        using (var own = await _kit.CreateRoleAsync("TENANT", inside.Id, RoleKit.UniqueName(), api: api))
        {
            Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        }

        using (var foreign = await _kit.CreateRoleAsync("TENANT", outside.Id, RoleKit.UniqueName(), api: api))
        {
            Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        }

        using var applicationRole = await _kit.CreateRoleAsync("APPLICATION", _kit.ApplicationId, RoleKit.UniqueName(), api: api);
        Assert.Equal(HttpStatusCode.Forbidden, applicationRole.StatusCode);
    }

    [Fact]
    public async Task A_client_under_a_tenant_inclusion_list_can_neither_read_nor_accept_an_invitation_to_another_tenant()
    {
        var (inside, outside) = (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());
        var boundary = await BoundaryAsync(PermissionBoundaryType.TenantInclusionList, inside.Id);
        var api = await ClientApiAsync(boundary, viaGroup: false, InvitationEndpoints.NewUserPermission);
        var invitations = new InvitationKit(factory);
        var (_, link) = await invitations.InviteNewAsync(outside, $"reach{Guid.NewGuid():N}@example.com");
        var code = InvitationKit.CodeOf(link);

        // The code of another tenant's invitation is, to this caller, an unknown code: nothing shown, nothing accepted.
        using (var introspected = await api.PostAsJsonAsync("/api/v1/new-user-invitation/introspect-email-auth-code", new { emailAuthCode = code }))
        {
            Assert.Equal(HttpStatusCode.OK, introspected.StatusCode);
            Assert.False((await InvitationKit.BodyAsync(introspected)).GetProperty("valid").GetBoolean());
        }

        using (var accepted = await api.PostAsJsonAsync("/api/v1/new-user-invitation/accept-invite", new { emailAuthCode = code, password = InvitationKit.Password }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, accepted.StatusCode);
            Assert.Equal(["invalid_email_auth_code"], await InvitationKit.ViolationsAsync(accepted, "emailAuthCode"));
        }

        // The code still works for a caller whose grant reaches that tenant.
        using var byAdmin = await invitations.PostAsync("/api/v1/new-user-invitation/accept-invite", new { emailAuthCode = code, password = InvitationKit.Password });
        Assert.Equal(HttpStatusCode.OK, byAdmin.StatusCode);
    }

    [Fact]
    public async Task A_client_under_a_tenant_exclusion_list_reaches_every_tenant_but_the_excluded_ones()
    {
        var (inside, outside) = (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());
        var boundary = await BoundaryAsync(PermissionBoundaryType.TenantExclusionList, outside.Id);
        var api = await ClientApiAsync(boundary, viaGroup: false, "tenant:read", "role:read");

        Assert.Equal([inside.Id], await ListedTenantIdsAsync(api, inside, outside));
        await AssertRoleVisibilityAsync(api, visible: inside, hidden: outside);
    }

    [Fact]
    public async Task A_permission_group_carries_its_own_boundary()
    {
        var (inside, outside) = (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());
        var boundary = await BoundaryAsync(PermissionBoundaryType.TenantInclusionList, inside.Id);
        var api = await ClientApiAsync(boundary, viaGroup: true, "tenant:read", "role:read");

        Assert.Equal([inside.Id], await ListedTenantIdsAsync(api, inside, outside));
        await AssertRoleVisibilityAsync(api, visible: inside, hidden: outside);
    }

    [Fact]
    public async Task A_client_whose_only_grant_is_tenant_bounded_holds_the_permission_nowhere()
    {
        var tenant = await factory.CreateTenantAsync();
        var boundary = await PredefinedAsync(PredefinedBoundary.Tenant);
        var api = await ClientApiAsync(boundary, viaGroup: false, "tenant:read");

        using var list = await api.GetAsync(new Uri($"/api/v1/applications/{_kit.ApplicationId}/tenants?query=id eq \"{tenant.Id}\"", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
    }

    [Fact]
    public async Task A_self_bounded_user_reaches_its_own_user_and_no_other_user_of_its_tenant()
    {
        var tenant = await factory.CreateTenantAsync();
        var (user, api, role) = await _kit.UserApiAsync(tenant, "user:read");
        await SetRoleBoundaryAsync(role.GetProperty("id").GetString()!, await PredefinedAsync(PredefinedBoundary.Self));
        var neighbour = await _kit.UserAsync(tenant);

        using (var own = await api.GetAsync(new Uri($"/api/v1/users/{user.Id}/roles", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }

        using var other = await api.GetAsync(new Uri($"/api/v1/users/{neighbour.Id}/roles", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.DoesNotContain(neighbour.Email, await other.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_user_under_an_application_boundary_still_never_reaches_another_tenant()
    {
        var (home, elsewhere) = (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());
        var (_, api, role) = await _kit.UserApiAsync(home, "user:read", "tenant:read");
        await SetRoleBoundaryAsync(role.GetProperty("id").GetString()!, await PredefinedAsync(PredefinedBoundary.Application));
        var stranger = await _kit.UserAsync(elsewhere);
        var neighbour = await _kit.UserAsync(home);

        using (var foreign = await api.GetAsync(new Uri($"/api/v1/users/{stranger.Id}/roles", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        }

        using (var local = await api.GetAsync(new Uri($"/api/v1/users/{neighbour.Id}/roles", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        }

        Assert.Equal([home.Id], await ListedTenantIdsAsync(api, home, elsewhere));
    }

    private async Task<List<string>> ListedTenantIdsAsync(HttpClient api, params Tenant[] tenants)
    {
        var ids = string.Join(",", tenants.Select(t => $"\"{t.Id}\""));
        using var list = await api.GetAsync(new Uri($"/api/v1/applications/{_kit.ApplicationId}/tenants?query=id in ({ids})", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var body = await RoleKit.BodyAsync(list);
        Assert.Equal(body.GetProperty("items").GetArrayLength(), body.GetProperty("totalResults").GetInt32());
        return [.. body.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("id").GetString()!)];
    }

    private async Task AssertRoleVisibilityAsync(HttpClient api, Tenant visible, Tenant hidden)
    {
        var seen = (await _kit.RoleAsync(visible)).GetProperty("id").GetString()!;
        var unseen = (await _kit.RoleAsync(hidden)).GetProperty("id").GetString()!;
        using (var ok = await api.GetAsync(new Uri($"/api/v1/roles/{seen}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var missing = await api.GetAsync(new Uri($"/api/v1/roles/{unseen}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.DoesNotContain(hidden.Name, await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>A fresh machine-to-machine client holding one role with the given permissions under <paramref name="boundaryId"/>, directly or through a permission group.</summary>
    private async Task<HttpClient> ClientApiAsync(string boundaryId, bool viaGroup, params string[] permissions)
    {
        var client = await _kit.MachineClientAsync();
        var role = (await _kit.RoleAsync(displayName: "Bounded client")).GetProperty("id").GetString()!;
        var permissionIds = new List<string>();
        foreach (var value in permissions)
        {
            permissionIds.Add(await _kit.PermissionIdAsync(value));
        }

        await using (var scope = factory.ScopeFor(_kit.ApplicationId))
        {
            var db = LanyardFactory.Db(scope);
            var time = scope.ServiceProvider.GetRequiredService<TimeProvider>();
            if (viaGroup)
            {
                var group = new PermissionGroup { Id = LanyardId.New(time), Name = $"app:test:{Guid.NewGuid():N}", DisplayName = "Bounded group", PermissionBoundaryId = boundaryId };
                db.PermissionGroups.Add(group);
                db.PermissionGroupPermissions.AddRange(permissionIds.Select(id => new PermissionGroupPermission { PermissionGroupId = group.Id, PermissionId = id }));
                db.RolePermissionGroups.Add(new RolePermissionGroup { RoleId = role, PermissionGroupId = group.Id });
            }
            else
            {
                db.RolePermissions.AddRange(permissionIds.Select(id => new RolePermission { RoleId = role, PermissionId = id }));
                (await db.Roles.AsTracking().SingleAsync(r => r.Id == role)).PermissionBoundaryId = boundaryId;
            }

            db.ClientRoles.Add(new ClientRole { ClientId = client.Id, RoleId = role });
            await db.SaveChangesAsync();
        }

        return _kit.Bearer(await _kit.ClientTokenAsync(client));
    }

    private async Task<string> BoundaryAsync(PermissionBoundaryType type, params string[] tenantIds)
    {
        await using var scope = factory.ScopeFor(_kit.ApplicationId);
        var db = LanyardFactory.Db(scope);
        var boundary = new PermissionBoundary
        {
            Id = LanyardId.New(scope.ServiceProvider.GetRequiredService<TimeProvider>()),
            Name = $"app:test:{Guid.NewGuid():N}",
            DisplayName = "Test boundary",
            Type = type,
            ResourceList = [.. tenantIds],
        };
        db.PermissionBoundaries.Add(boundary);
        await db.SaveChangesAsync();
        return boundary.Id;
    }

    private async Task<string> PredefinedAsync(PredefinedBoundary value)
    {
        await using var scope = factory.ScopeFor(_kit.ApplicationId);
        return await LanyardFactory.Db(scope).PermissionBoundaries.Where(b => b.Value == value).Select(b => b.Id).SingleAsync();
    }

    private async Task SetRoleBoundaryAsync(string roleId, string boundaryId)
    {
        await using var scope = factory.ScopeFor(_kit.ApplicationId);
        var db = LanyardFactory.Db(scope);
        (await db.Roles.AsTracking().SingleAsync(r => r.Id == roleId)).PermissionBoundaryId = boundaryId;
        await db.SaveChangesAsync();
    }
}

public sealed class BoundaryOnSqlite(SqliteLanyard factory) : BoundaryTests(factory), IClassFixture<SqliteLanyard>;

public sealed class BoundaryOnPostgres(PostgresLanyard factory) : BoundaryTests(factory), IClassFixture<PostgresLanyard>;
