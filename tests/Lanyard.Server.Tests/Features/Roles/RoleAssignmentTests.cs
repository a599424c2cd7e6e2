using System.Net;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Roles;

/// <summary>Who holds which role: tenant visibility, a user token's tenant boundary, no escalation, listing, permission-info.</summary>
public abstract class RoleAssignmentTests(LanyardFactory factory)
{
    private readonly RoleKit _kit = new(factory);

    [Fact]
    public async Task A_tenant_role_goes_only_to_users_of_its_tenant()
    {
        var tenantA = await factory.CreateTenantAsync();
        var tenantB = await factory.CreateTenantAsync();
        var userA = await _kit.UserAsync(tenantA);
        var userB = await _kit.UserAsync(tenantB);
        var roleA = await _kit.RoleAsync(tenantA);
        var roleAId = roleA.GetProperty("id").GetString()!;
        var appRoleId = (await _kit.RoleAsync()).GetProperty("id").GetString()!;

        using (var refused = await _kit.AssignAsync(userB.Id, [appRoleId, roleAId]))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal(["invalid_value"], await RoleKit.ViolationsAsync(refused, "roleIds"));
        }

        Assert.Empty(await _kit.AssignedRoleNamesAsync(userB.Id)); // nothing of the refused request was written
        using (var unassign = await _kit.UnassignAsync(userB.Id, [roleAId]))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unassign.StatusCode);
        }

        using (var ok = await _kit.AssignAsync(userA.Id, [roleAId, appRoleId]))
        {
            Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        }

        using (var twice = await _kit.AssignAsync(userA.Id, [roleAId]))
        {
            Assert.Equal(HttpStatusCode.NoContent, twice.StatusCode);
        }

        Assert.Equal(2, (await _kit.AssignedRoleNamesAsync(userA.Id)).Length);

        using (var unknownUser = await _kit.AssignAsync("nosuchuser", [appRoleId]))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknownUser.StatusCode);
            Assert.Equal("user_not_found", await RoleKit.ErrorCodeAsync(unknownUser));
        }

        using (var unknownRole = await _kit.AssignAsync(userA.Id, ["nosuchrole"]))
        {
            Assert.Equal(["invalid_value"], await RoleKit.ViolationsAsync(unknownRole, "roleIds"));
        }

        using (var missing = await _kit.PostAsync($"/api/v1/users/{userA.Id}/assign-roles", new { }))
        {
            Assert.Equal(["required"], await RoleKit.ViolationsAsync(missing, "roleIds"));
        }

        using (var tooMany = await _kit.AssignAsync(userA.Id, [.. Enumerable.Range(0, 101).Select(i => $"r{i}")]))
        {
            Assert.Equal(["too_long"], await RoleKit.ViolationsAsync(tooMany, "roleIds"));
        }
    }

    [Fact]
    public async Task A_users_roles_are_listed_in_pages()
    {
        var tenant = await factory.CreateTenantAsync();
        var user = await _kit.UserAsync(tenant);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await _kit.RoleAsync(tenant, $"p{i}-{Guid.NewGuid():N}"[..20])).GetProperty("id").GetString()!);
        }

        using (var assigned = await _kit.AssignAsync(user.Id, [.. ids]))
        {
            Assert.Equal(HttpStatusCode.NoContent, assigned.StatusCode);
        }

        using var page = await _kit.GetAsync($"/api/v1/users/{user.Id}/roles?start_index=2&count=1");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var body = await RoleKit.BodyAsync(page);
        Assert.Equal(3, body.GetProperty("totalResults").GetInt32());
        Assert.Equal(2, body.GetProperty("startIndex").GetInt32());
        Assert.Equal(1, body.GetProperty("itemsPerPage").GetInt32());
        var item = Assert.Single(body.GetProperty("items").EnumerateArray());
        Assert.StartsWith($"tnt:{tenant.Name}:p1-", item.GetProperty("name").GetString());

        using var countOnly = await _kit.GetAsync($"/api/v1/users/{user.Id}/roles?count=0");
        Assert.Equal(3, (await RoleKit.BodyAsync(countOnly)).GetProperty("totalResults").GetInt32());
        Assert.Empty((await RoleKit.BodyAsync(countOnly)).GetProperty("items").EnumerateArray());

        using var bad = await _kit.GetAsync($"/api/v1/users/{user.Id}/roles?start_index=0&count=x");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(["invalid_value"], await RoleKit.ViolationsAsync(bad, "start_index"));
        Assert.Equal(["invalid_value"], await RoleKit.ViolationsAsync(bad, "count"));

        using var unknown = await _kit.GetAsync("/api/v1/users/nosuchuser/roles");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Permission_info_answers_only_the_permissions_the_caller_holds()
    {
        var tenant = await factory.CreateTenantAsync();
        var read = $"invoice-{Guid.NewGuid():N}:read";
        var write = $"invoice-{Guid.NewGuid():N}:write";
        var readId = await _kit.PermissionAsync(read);
        await _kit.PermissionAsync(write);
        var role = await _kit.RoleAsync(tenant, displayName: "Invoice reader");
        await _kit.GrantAsync(role.GetProperty("id").GetString()!, readId);
        var user = await _kit.UserAsync(tenant);
        using (var assigned = await _kit.AssignAsync(user.Id, [role.GetProperty("id").GetString()!]))
        {
            Assert.Equal(HttpStatusCode.NoContent, assigned.StatusCode);
        }

        var (tokens, _) = await _kit.Flow.LoginAsync(_kit.Flow.DemoClient, tenant.Name, user.Email);
        var userApi = _kit.Bearer(tokens.AccessToken);
        using (var info = await _kit.GetAsync($"/api/v1/permission-info?values={read},{write},user:read", userApi))
        {
            Assert.Equal(HttpStatusCode.OK, info.StatusCode);
            var body = await RoleKit.BodyAsync(info);
            var item = Assert.Single(body.GetProperty("items").EnumerateArray());
            Assert.Equal(read, item.GetProperty("value").GetString());
        }

        // The application's own backend asks about itself the same way.
        using (var admin = await _kit.GetAsync($"/api/v1/permission-info?values={read},user:read"))
        {
            var item = Assert.Single((await RoleKit.BodyAsync(admin)).GetProperty("items").EnumerateArray());
            Assert.Equal("user:read", item.GetProperty("value").GetString());
        }

        // A role taken away is no longer held, even by a token issued before.
        using (var unassigned = await _kit.UnassignAsync(user.Id, [role.GetProperty("id").GetString()!]))
        {
            Assert.Equal(HttpStatusCode.NoContent, unassigned.StatusCode);
        }

        using (var after = await _kit.GetAsync($"/api/v1/permission-info?values={read}", userApi))
        {
            Assert.Empty((await RoleKit.BodyAsync(after)).GetProperty("items").EnumerateArray());
        }

        using (var none = await _kit.GetAsync("/api/v1/permission-info", userApi))
        {
            Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
            Assert.Equal(["required"], await RoleKit.ViolationsAsync(none, "values"));
        }
    }

    [Fact]
    public async Task A_user_token_cannot_reach_another_tenants_user_or_role()
    {
        var tenantA = await factory.CreateTenantAsync();
        var tenantB = await factory.CreateTenantAsync();
        var (_, adminA, _) = await _kit.UserApiAsync(tenantA, "user:write", "user:read", "role:create", "role:read", "role:delete", "role:write");
        var colleague = await _kit.UserAsync(tenantA);
        var stranger = await _kit.UserAsync(tenantB);
        var emptyAppRole = (await _kit.RoleAsync()).GetProperty("id").GetString()!;
        var roleB = (await _kit.RoleAsync(tenantB)).GetProperty("id").GetString()!;

        // Another tenant's user: not found, whatever the request, and nothing is written.
        using (var assign = await _kit.AssignAsync(stranger.Id, [emptyAppRole], adminA))
        {
            Assert.Equal(HttpStatusCode.NotFound, assign.StatusCode);
            Assert.Equal("user_not_found", await RoleKit.ErrorCodeAsync(assign));
        }

        using (var unassign = await _kit.UnassignAsync(stranger.Id, [emptyAppRole], adminA))
        {
            Assert.Equal(HttpStatusCode.NotFound, unassign.StatusCode);
        }

        using (var list = await _kit.GetAsync($"/api/v1/users/{stranger.Id}/roles", adminA))
        {
            Assert.Equal(HttpStatusCode.NotFound, list.StatusCode);
            Assert.Equal("user_not_found", await RoleKit.ErrorCodeAsync(list));
        }

        Assert.Empty(await _kit.AssignedRoleNamesAsync(stranger.Id));

        // Another tenant's role: not found; and no roles for another tenant or the whole application.
        using (var read = await _kit.GetAsync($"/api/v1/roles/{roleB}", adminA))
        {
            Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        }

        using (var delete = await adminA.DeleteAsync(new Uri($"/api/v1/roles/{roleB}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        }

        using (var createB = await _kit.CreateRoleAsync("TENANT", tenantB.Id, "mine", api: adminA))
        {
            Assert.Equal(HttpStatusCode.Forbidden, createB.StatusCode);
        }

        using (var createApp = await _kit.CreateRoleAsync("APPLICATION", _kit.ApplicationId, "mine", api: adminA))
        {
            Assert.Equal(HttpStatusCode.Forbidden, createApp.StatusCode);
        }

        using (var deleteApp = await adminA.DeleteAsync(new Uri($"/api/v1/roles/{emptyAppRole}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, deleteApp.StatusCode);
        }

        // Its own tenant: it may create roles and hand out roles within its own rights.
        using (var own = await _kit.CreateRoleAsync("TENANT", tenantA.Id, RoleKit.UniqueName("team"), api: adminA))
        {
            Assert.Equal(HttpStatusCode.Created, own.StatusCode);
            var ownRole = (await RoleKit.BodyAsync(own)).GetProperty("id").GetString()!;
            using var assign = await _kit.AssignAsync(colleague.Id, [ownRole, emptyAppRole], adminA);
            Assert.Equal(HttpStatusCode.NoContent, assign.StatusCode);
        }

        using (var list = await _kit.GetAsync($"/api/v1/users/{colleague.Id}/roles", adminA))
        {
            Assert.Equal(2, (await RoleKit.BodyAsync(list)).GetProperty("totalResults").GetInt32());
        }
    }

    [Fact]
    public async Task A_user_token_cannot_grant_permissions_it_does_not_hold()
    {
        var tenant = await factory.CreateTenantAsync();
        var (self, admin, _) = await _kit.UserApiAsync(tenant, "user:write", "role:write", "role:create");
        var powerful = (await _kit.RoleAsync(displayName: "Powerful")).GetProperty("id").GetString()!;
        await _kit.GrantAsync(powerful, await _kit.PermissionIdAsync("tenant:delete"));

        using (var toSelf = await _kit.AssignAsync(self.Id, [powerful], admin))
        {
            Assert.Equal(HttpStatusCode.Forbidden, toSelf.StatusCode);
        }

        Assert.DoesNotContain(await _kit.AssignedRoleNamesAsync(self.Id), n => n.EndsWith(":" + "Powerful", StringComparison.Ordinal));
        Assert.Single(await _kit.AssignedRoleNamesAsync(self.Id));

        using var own = await _kit.CreateRoleAsync("TENANT", tenant.Id, RoleKit.UniqueName("own"), api: admin);
        var ownRole = (await RoleKit.BodyAsync(own)).GetProperty("id").GetString()!;
        using (var grant = await _kit.PostAsync($"/api/v1/roles/{ownRole}/assign-permissions", new { permissionIds = new[] { await _kit.PermissionIdAsync("tenant:delete") } }, admin))
        {
            Assert.Equal(HttpStatusCode.Forbidden, grant.StatusCode);
        }

        using (var held = await _kit.PostAsync($"/api/v1/roles/{ownRole}/assign-permissions", new { permissionIds = new[] { await _kit.PermissionIdAsync("user:write") } }, admin))
        {
            Assert.Equal(HttpStatusCode.NoContent, held.StatusCode);
        }

        using (var permission = await _kit.PostAsync("/api/v1/permissions", new { value = $"x:{Guid.NewGuid():N}" }, admin))
        {
            Assert.Equal(HttpStatusCode.Forbidden, permission.StatusCode); // application-level, not a tenant's to create
        }

        var client = await _kit.MachineClientAsync();
        using (var clientRoles = await _kit.PostAsync($"/api/v1/clients/{client.Id}/assign-roles", new { roleIds = new[] { powerful } }, admin))
        {
            Assert.Equal(HttpStatusCode.Forbidden, clientRoles.StatusCode);
        }
    }
}

public sealed class RoleAssignmentOnSqlite(SqliteLanyard factory) : RoleAssignmentTests(factory), IClassFixture<SqliteLanyard>;

public sealed class RoleAssignmentOnPostgres(PostgresLanyard factory) : RoleAssignmentTests(factory), IClassFixture<PostgresLanyard>;
