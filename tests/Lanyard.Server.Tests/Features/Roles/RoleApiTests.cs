using System.Net;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Roles;

/// <summary>The role and permission APIs: creation, naming rules, reading, deleting, giving roles permissions.</summary>
public abstract class RoleApiTests(LanyardFactory factory)
{
    private readonly RoleKit _kit = new(factory);

    [Fact]
    public async Task Roles_are_created_with_their_owners_prefix_and_read_back()
    {
        var tenant = await factory.CreateTenantAsync();
        var name = RoleKit.UniqueName("owner");

        using var created = await _kit.PostAsync("/api/v1/roles", new { name, displayName = " Owner ", description = "Runs the account", ownerType = "TENANT", ownerId = tenant.Id });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var role = await RoleKit.BodyAsync(created);
        var id = role.GetProperty("id").GetString()!;
        Assert.Equal($"/api/v1/roles/{id}", created.Headers.Location!.OriginalString);
        Assert.Equal($"tnt:{tenant.Name}:{name}", role.GetProperty("name").GetString());
        Assert.Equal("Owner", role.GetProperty("displayName").GetString());
        Assert.Equal("Runs the account", role.GetProperty("description").GetString());
        Assert.Equal("TENANT", role.GetProperty("ownerType").GetString());
        Assert.Equal(tenant.Id, role.GetProperty("ownerId").GetString());
        Assert.Equal(tenant.Id, role.GetProperty("tenantId").GetString());
        Assert.Equal(_kit.ApplicationId, role.GetProperty("applicationId").GetString());
        Assert.Equal("CUSTOM", role.GetProperty("type").GetString());
        Assert.Equal(1, role.GetProperty("metadata").GetProperty("version").GetInt64());

        using var read = await _kit.GetAsync($"/api/v1/roles/{id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(role.GetProperty("name").GetString(), (await RoleKit.BodyAsync(read)).GetProperty("name").GetString());

        // The same short name is free for the application and for another tenant; the stored names differ.
        var other = await factory.CreateTenantAsync();
        var otherRole = await _kit.RoleAsync(other, name);
        Assert.Equal($"tnt:{other.Name}:{name}", otherRole.GetProperty("name").GetString());
        var appRole = await _kit.RoleAsync(name: name);
        Assert.Equal($"app:{(await AppNameAsync())}:{name}", appRole.GetProperty("name").GetString());
        Assert.Equal("APPLICATION", appRole.GetProperty("ownerType").GetString());
        Assert.Equal(_kit.ApplicationId, appRole.GetProperty("ownerId").GetString());
        Assert.False(appRole.TryGetProperty("tenantId", out _));

        using var again = await _kit.CreateRoleAsync("TENANT", tenant.Id, name);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Equal(["not_unique"], await RoleKit.ViolationsAsync(again, "name"));
    }

    [Fact]
    public async Task Role_and_permission_input_is_validated()
    {
        async Task<string[]> ViolationsOf(object body, string field)
        {
            using var response = await _kit.PostAsync("/api/v1/roles", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            return await RoleKit.ViolationsAsync(response, field);
        }

        await factory.StartAsync();
        var app = _kit.ApplicationId;
        Assert.Equal(["invalid_format"], await ViolationsOf(new { name = "Admin", displayName = "x", ownerType = "APPLICATION", ownerId = app }, "name"));
        Assert.Equal(["invalid_format"], await ViolationsOf(new { name = "a b", displayName = "x", ownerType = "APPLICATION", ownerId = app }, "name"));
        Assert.Equal(["invalid_format"], await ViolationsOf(new { name = "app:x", displayName = "x", ownerType = "APPLICATION", ownerId = app }, "name"));
        Assert.Equal(["too_long"], await ViolationsOf(new { name = new string('a', 41), displayName = "x", ownerType = "APPLICATION", ownerId = app }, "name"));
        Assert.Equal(["required"], await ViolationsOf(new { displayName = "x", ownerType = "APPLICATION", ownerId = app }, "name"));
        Assert.Equal(["required"], await ViolationsOf(new { name = "ok", ownerType = "APPLICATION", ownerId = app }, "displayName"));
        Assert.Equal(["too_long"], await ViolationsOf(new { name = "ok", displayName = new string('d', 61), ownerType = "APPLICATION", ownerId = app }, "displayName"));
        Assert.Equal(["too_long"], await ViolationsOf(new { name = "ok", displayName = "x", description = new string('d', 501), ownerType = "APPLICATION", ownerId = app }, "description"));
        Assert.Equal(["invalid_value"], await ViolationsOf(new { name = "ok", displayName = "x", ownerType = "GLOBAL", ownerId = app }, "ownerType"));
        Assert.Equal(["required"], await ViolationsOf(new { name = "ok", displayName = "x", ownerType = "APPLICATION" }, "ownerId"));
        Assert.Equal(["invalid_value"], await ViolationsOf(new { name = "ok", displayName = "x", ownerType = "APPLICATION", ownerId = "someotherapp" }, "ownerId"));

        // 40 characters of every allowed kind is accepted.
        var longest = ("a-1_" + Guid.NewGuid().ToString("N"))[..36] + "z-_9";
        using (var ok = await _kit.CreateRoleAsync("APPLICATION", app, longest))
        {
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        }

        using (var unknownTenant = await _kit.CreateRoleAsync("TENANT", "nosuchtenant", "ok"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknownTenant.StatusCode);
            Assert.Equal("tenant_not_found", await RoleKit.ErrorCodeAsync(unknownTenant));
        }

        var value = $"invoice:{Guid.NewGuid():N}";
        using (var created = await _kit.PostAsync("/api/v1/permissions", new { value, description = "Read invoices" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var permission = await RoleKit.BodyAsync(created);
            Assert.Equal(value, permission.GetProperty("value").GetString());
            Assert.Equal("CUSTOM", permission.GetProperty("type").GetString());
        }

        async Task<string[]> PermissionViolations(object body)
        {
            using var response = await _kit.PostAsync("/api/v1/permissions", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            return await RoleKit.ViolationsAsync(response, "value");
        }

        Assert.Equal(["not_unique"], await PermissionViolations(new { value }));
        Assert.Equal(["not_unique"], await PermissionViolations(new { value = "user:read" })); // predefined values are taken too
        Assert.Equal(["required"], await PermissionViolations(new { description = "x" }));
        Assert.Equal(["too_long"], await PermissionViolations(new { value = new string('p', 201) }));
        Assert.Equal(["invalid_format"], await PermissionViolations(new { value = "a,b" }));
        Assert.Equal(["invalid_format"], await PermissionViolations(new { value = "a b" }));
    }

    [Fact]
    public async Task Deleting_a_role_removes_its_assignments_and_predefined_roles_stay()
    {
        var tenant = await factory.CreateTenantAsync();
        var user = await _kit.UserAsync(tenant);
        var role = await _kit.RoleAsync();
        var roleId = role.GetProperty("id").GetString()!;
        await _kit.GrantAsync(roleId, await _kit.PermissionAsync($"doc:{Guid.NewGuid():N}"));
        using (var assigned = await _kit.AssignAsync(user.Id, [roleId]))
        {
            Assert.Equal(HttpStatusCode.NoContent, assigned.StatusCode);
        }

        Assert.Equal([role.GetProperty("name").GetString()!], await _kit.AssignedRoleNamesAsync(user.Id));

        using (var deleted = await (await _kit.AdminAsync()).DeleteAsync(new Uri($"/api/v1/roles/{roleId}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        Assert.Empty(await _kit.AssignedRoleNamesAsync(user.Id));
        using (var read = await _kit.GetAsync($"/api/v1/roles/{roleId}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
            Assert.Equal("role_not_found", await RoleKit.ErrorCodeAsync(read));
        }

        using (var gone = await (await _kit.AdminAsync()).DeleteAsync(new Uri($"/api/v1/roles/{roleId}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        // The Application Admin Client's own role cannot be deleted out from under it.
        var adminRoleId = await AdminRoleIdAsync();
        using (var predefined = await (await _kit.AdminAsync()).DeleteAsync(new Uri($"/api/v1/roles/{adminRoleId}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, predefined.StatusCode);
            Assert.Equal("role_predefined", await RoleKit.ErrorCodeAsync(predefined));
        }
    }

    [Fact]
    public async Task Assigning_permissions_checks_ids_and_is_idempotent()
    {
        var role = await _kit.RoleAsync();
        var roleId = role.GetProperty("id").GetString()!;
        var permission = await _kit.PermissionAsync($"report:{Guid.NewGuid():N}");
        await _kit.GrantAsync(roleId, permission);
        await _kit.GrantAsync(roleId, permission);

        using (var unknown = await _kit.PostAsync($"/api/v1/roles/{roleId}/assign-permissions", new { permissionIds = new[] { permission, "nosuchpermission" } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
            Assert.Equal(["invalid_value"], await RoleKit.ViolationsAsync(unknown, "permissionIds"));
        }

        using (var empty = await _kit.PostAsync($"/api/v1/roles/{roleId}/assign-permissions", new { permissionIds = Array.Empty<string>() }))
        {
            Assert.Equal(["required"], await RoleKit.ViolationsAsync(empty, "permissionIds"));
        }

        using (var noRole = await _kit.PostAsync("/api/v1/roles/nosuchrole/assign-permissions", new { permissionIds = new[] { permission } }))
        {
            Assert.Equal(HttpStatusCode.NotFound, noRole.StatusCode);
        }
    }

    [Fact]
    public async Task Calls_without_a_token_get_401_and_without_the_permission_403()
    {
        var anonymous = _kit.Bearer(null);
        var forged = _kit.Bearer("eyJhbGciOiJub25lIn0.e30.");
        var powerless = _kit.Bearer(await _kit.ClientTokenAsync(await _kit.MachineClientAsync()));
        var tenant = await factory.CreateTenantAsync();
        var user = await _kit.UserAsync(tenant);
        var roleId = (await _kit.RoleAsync()).GetProperty("id").GetString()!;

        foreach (var api in new[] { anonymous, forged })
        {
            using var create = await _kit.CreateRoleAsync("APPLICATION", _kit.ApplicationId, "x", api: api);
            Assert.Equal(HttpStatusCode.Unauthorized, create.StatusCode);
            using var info = await _kit.GetAsync("/api/v1/permission-info?values=role:read", api);
            Assert.Equal(HttpStatusCode.Unauthorized, info.StatusCode);
        }

        using (var create = await _kit.CreateRoleAsync("APPLICATION", _kit.ApplicationId, "x", api: powerless))
        {
            Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        }

        using (var read = await _kit.GetAsync($"/api/v1/roles/{roleId}", powerless))
        {
            Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
        }

        using (var delete = await powerless.DeleteAsync(new Uri($"/api/v1/roles/{roleId}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        }

        using (var assign = await _kit.AssignAsync(user.Id, [roleId], powerless))
        {
            Assert.Equal(HttpStatusCode.Forbidden, assign.StatusCode);
        }

        using (var permission = await _kit.PostAsync("/api/v1/permissions", new { value = "x:y" }, powerless))
        {
            Assert.Equal(HttpStatusCode.Forbidden, permission.StatusCode);
        }

        using (var list = await _kit.GetAsync($"/api/v1/users/{user.Id}/roles", powerless))
        {
            Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        }

        Assert.Empty(await _kit.AssignedRoleNamesAsync(user.Id));
    }

    private async Task<string> AppNameAsync()
    {
        await using var scope = factory.ScopeFor(_kit.ApplicationId);
        return LanyardFactory.Db(scope).Applications.Single(a => a.Id == _kit.ApplicationId).Name;
    }

    private async Task<string> AdminRoleIdAsync()
    {
        await using var scope = factory.ScopeFor(_kit.ApplicationId);
        var db = LanyardFactory.Db(scope);
        return db.ClientRoles.Where(cr => cr.ClientId == factory.Bootstrap.AdminClientId).Select(cr => cr.RoleId).Single();
    }
}

public sealed class RoleApiOnSqlite(SqliteLanyard factory) : RoleApiTests(factory), IClassFixture<SqliteLanyard>;

public sealed class RoleApiOnPostgres(PostgresLanyard factory) : RoleApiTests(factory), IClassFixture<PostgresLanyard>;
