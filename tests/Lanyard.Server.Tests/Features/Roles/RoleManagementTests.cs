using System.Net;
using System.Text.Json;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Roles;

/// <summary>Changing roles (merge patch, permissions taken away, groups) and the role and permission lists.</summary>
public abstract class RoleManagementTests(LanyardFactory factory)
{
    private readonly RbacKit _kit = new(factory);

    [Fact]
    public async Task A_role_is_patched_in_what_the_patch_names_only()
    {
        var tenant = await factory.CreateTenantAsync();
        var role = await _kit.Roles.RoleAsync(tenant, displayName: "Before");
        var path = $"/api/v1/roles/{RbacKit.Id(role)}";
        await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, path, new { description = "Described" });
        var self = await _kit.PredefinedBoundaryIdAsync("self");

        using (var response = await _kit.SendAsync(HttpMethod.Patch, path,
            new { displayName = " After ", permissionBoundaryId = self, name = role.GetProperty("name").GetString() }, contentType: "application/merge-patch+json"))
        {
            var patched = await RoleKit.BodyAsync(response);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("After", patched.GetProperty("displayName").GetString());
            Assert.Equal("Described", patched.GetProperty("description").GetString());
            Assert.Equal(self, patched.GetProperty("permissionBoundaryId").GetString());
            Assert.Equal(3, patched.GetProperty("metadata").GetProperty("version").GetInt64());
        }

        var cleared = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, path, new { description = (string?)null, permissionBoundaryId = (string?)null });
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("description").ValueKind);
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("permissionBoundaryId").ValueKind);
        Assert.Equal("After", (await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, path)).GetProperty("displayName").GetString());

        Assert.Equal(["required"], await _kit.ViolationsAsync(HttpMethod.Patch, path, new { displayName = (string?)null }, "displayName"));
        Assert.Equal(["too_long"], await _kit.ViolationsAsync(HttpMethod.Patch, path, new { displayName = new string('d', 61) }, "displayName"));
        Assert.Equal(["too_long"], await _kit.ViolationsAsync(HttpMethod.Patch, path, new { description = new string('d', 501) }, "description"));
        Assert.Equal(["invalid_value"], await _kit.ViolationsAsync(HttpMethod.Patch, path, new { displayName = 7 }, "displayName"));
        Assert.Equal(["invalid_value"], await _kit.ViolationsAsync(HttpMethod.Patch, path, new { permissionBoundaryId = "nosuchboundary" }, "permissionBoundaryId"));
        Assert.Equal(["invalid_value"], await _kit.ViolationsAsync(HttpMethod.Patch, path, new { name = "tnt:x:renamed" }, "name"));
        Assert.Equal(["invalid_value"], await _kit.ViolationsAsync(HttpMethod.Patch, path, new { ownerType = "APPLICATION" }, "ownerType"));
        Assert.Equal((HttpStatusCode.NotFound, "role_not_found"), await _kit.ErrorAsync(HttpMethod.Patch, "/api/v1/roles/nosuchrole", new { displayName = "x" }));

        var adminRole = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get,
            $"/api/v1/applications/{_kit.ApplicationId}/roles?query=type eq \"PREDEFINED\"");
        Assert.Equal((HttpStatusCode.BadRequest, "role_predefined"),
            await _kit.ErrorAsync(HttpMethod.Patch, $"/api/v1/roles/{RbacKit.Id(adminRole.GetProperty("items")[0])}", new { permissionBoundaryId = self }));
    }

    [Fact]
    public async Task Permissions_and_groups_are_taken_from_a_role_and_the_input_is_checked()
    {
        await factory.StartAsync();
        var value = $"doc:{Guid.NewGuid():N}";
        var permission = await _kit.Roles.PermissionAsync(value);
        var role = await _kit.RoleAsync(null, null, []);
        var roleId = RbacKit.Id(role);
        await _kit.Roles.GrantAsync(roleId, permission);
        var client = await _kit.Roles.MachineClientAsync();
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, $"/api/v1/clients/{client.Id}/assign-roles", new { roleIds = new[] { roleId } });
        var api = _kit.Roles.Bearer(await _kit.Roles.ClientTokenAsync(client));
        Assert.Equal([value], await HeldAsync(api, value));

        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, $"/api/v1/roles/{roleId}/unassign-permissions", new { permissionIds = new[] { permission } });
        Assert.Empty(await HeldAsync(api, value));
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, $"/api/v1/roles/{roleId}/unassign-permissions", new { permissionIds = new[] { permission } }); // not held: a no-op

        var group = RbacKit.Id(await _kit.GroupAsync(null));
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, $"/api/v1/permission-groups/{group}/assign-permissions", new { permissionIds = new[] { permission } });
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, $"/api/v1/roles/{roleId}/assign-permission-groups", new { permissionGroupIds = new[] { group, group } });
        Assert.Equal([value], await HeldAsync(api, value));

        foreach (var verb in new[] { "unassign-permissions", "assign-permission-groups", "unassign-permission-groups" })
        {
            var field = verb.EndsWith("groups", StringComparison.Ordinal) ? "permissionGroupIds" : "permissionIds";
            var path = $"/api/v1/roles/{roleId}/{verb}";
            Assert.Equal(["required"], await _kit.ViolationsAsync(HttpMethod.Post, path, new { }, field));
            Assert.Equal(["too_long"], await _kit.ViolationsAsync(HttpMethod.Post, path, new Dictionary<string, object> { [field] = Enumerable.Range(0, 101).Select(i => $"x{i}").ToArray() }, field));
            Assert.Equal(["invalid_value"], await _kit.ViolationsAsync(HttpMethod.Post, path, new Dictionary<string, object> { [field] = new[] { "nosuchid" } }, field));
            Assert.Equal((HttpStatusCode.NotFound, "role_not_found"),
                await _kit.ErrorAsync(HttpMethod.Post, $"/api/v1/roles/nosuchrole/{verb}", new Dictionary<string, object> { [field] = new[] { field == "permissionIds" ? permission : group } }));
        }

        Assert.Equal([value], await HeldAsync(api, value)); // refused requests changed nothing
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, $"/api/v1/roles/{roleId}/unassign-permission-groups", new { permissionGroupIds = new[] { group } });
        Assert.Empty(await HeldAsync(api, value));
    }

    [Fact]
    public async Task Role_lists_show_what_the_caller_reaches()
    {
        var (home, other) = (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());
        var appRole = RbacKit.Id(await _kit.Roles.RoleAsync(displayName: "App wide"));
        var homeRole = RbacKit.Id(await _kit.Roles.RoleAsync(home, displayName: "Home only"));
        var otherRole = await _kit.Roles.RoleAsync(other, displayName: "Other only");
        var appRoles = $"/api/v1/applications/{_kit.ApplicationId}/roles?count=1000";

        // The admin client sees every role; a tenant's list shows its own roles, and the application's on request.
        var all = RbacKit.Ids(await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, appRoles));
        Assert.Superset(new HashSet<string> { appRole, homeRole, RbacKit.Id(otherRole) }, all.ToHashSet());
        var own = RbacKit.Ids(await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/tenants/{home.Id}/roles"));
        Assert.Equal([homeRole], own);
        var withApp = RbacKit.Ids(await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/tenants/{home.Id}/roles?include_application_roles=true&count=1000"));
        Assert.Contains(appRole, withApp);
        Assert.Contains(homeRole, withApp);
        Assert.DoesNotContain(RbacKit.Id(otherRole), withApp);

        // A user of home: the application's roles and home's, never other's; other's list does not exist for it.
        var (_, user, _) = await _kit.Roles.UserApiAsync(home, "role:read");
        using (var response = await _kit.SendAsync(HttpMethod.Get, appRoles, api: user))
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains(appRole, text, StringComparison.Ordinal);
            Assert.Contains(homeRole, text, StringComparison.Ordinal);
            Assert.DoesNotContain(RbacKit.Id(otherRole), text, StringComparison.Ordinal);
            Assert.DoesNotContain(otherRole.GetProperty("name").GetString()!, text, StringComparison.Ordinal);
        }

        Assert.Equal((HttpStatusCode.NotFound, "tenant_not_found"), await _kit.ErrorAsync(HttpMethod.Get, $"/api/v1/tenants/{other.Id}/roles", api: user));
        Assert.Equal([homeRole], RbacKit.Ids(await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/tenants/{home.Id}/roles", api: user)));

        // A client bounded to home by an inclusion list: the same picture.
        var listed = RbacKit.Id(await _kit.BoundaryAsync("TENANT_INCLUSION_LIST", home.Id));
        var bounded = await _kit.ClientApiAsync(listed, "role:read");
        var seen = RbacKit.Ids(await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, appRoles, api: bounded));
        Assert.Contains(homeRole, seen);
        Assert.Contains(appRole, seen);
        Assert.DoesNotContain(RbacKit.Id(otherRole), seen);
        Assert.Equal((HttpStatusCode.NotFound, "tenant_not_found"), await _kit.ErrorAsync(HttpMethod.Get, $"/api/v1/tenants/{other.Id}/roles", api: bounded));

        // Conventions: filter, sort, fields, paging, errors.
        var byName = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get,
            $"/api/v1/tenants/{home.Id}/roles?include_application_roles=true&query=displayName eq \"Home only\" or displayName eq \"App wide\"&sort_by=displayName:desc&fields=displayName&count=1");
        Assert.True(byName.GetProperty("totalResults").GetInt32() >= 2);
        Assert.Equal("Home only", byName.GetProperty("items")[0].GetProperty("displayName").GetString());
        Assert.False(byName.GetProperty("items")[0].TryGetProperty("name", out _));
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_query"), await _kit.ErrorAsync(HttpMethod.Get, $"/api/v1/tenants/{home.Id}/roles?query=tenantId eq \"x\""));
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_sort"), await _kit.ErrorAsync(HttpMethod.Get, $"{appRoles}&sort_by=type"));
        Assert.Equal((HttpStatusCode.NotFound, "application_not_found"), await _kit.ErrorAsync(HttpMethod.Get, "/api/v1/applications/otherapp/roles"));
        Assert.Equal((HttpStatusCode.NotFound, "tenant_not_found"), await _kit.ErrorAsync(HttpMethod.Get, "/api/v1/tenants/nosuchtenant/roles"));
    }

    [Fact]
    public async Task The_permission_list_shows_custom_permissions_and_the_predefined_on_request()
    {
        await factory.StartAsync();
        var value = $"report:{Guid.NewGuid():N}";
        await _kit.Roles.PermissionAsync(value);
        var list = $"/api/v1/applications/{_kit.ApplicationId}/permissions";
        var custom = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"{list}?count=1000");
        var values = custom.GetProperty("items").EnumerateArray().Select(p => p.GetProperty("value").GetString()).ToList();
        Assert.Contains(value, values);
        Assert.DoesNotContain("user:read", values);
        var predefined = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get,
            $"{list}?include_predefined_permissions=true&query=value in (\"user:read\", \"{value}\")&sort_by=value:desc");
        Assert.Equal(["user:read", value], predefined.GetProperty("items").EnumerateArray().Select(p => p.GetProperty("value").GetString()));
        Assert.Equal("PREDEFINED", predefined.GetProperty("items")[0].GetProperty("type").GetString());

        // Permissions name no tenant: a user holding permission:read reads them too.
        var tenant = await factory.CreateTenantAsync();
        var (_, user, _) = await _kit.Roles.UserApiAsync(tenant, "permission:read");
        await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, list, api: user);
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await _kit.ErrorAsync(HttpMethod.Get, list, api: await _kit.ClientApiAsync(null)));
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid_token"), await _kit.ErrorAsync(HttpMethod.Get, list, api: _kit.Roles.Bearer(null)));
    }

    [Fact]
    public async Task A_user_changes_only_its_own_tenants_roles_and_never_beyond_its_own_rights()
    {
        var (home, other) = (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());
        var (_, user, _) = await _kit.Roles.UserApiAsync(home, "role:write", "role:read", "user:read");
        var homeRole = RbacKit.Id(await _kit.Roles.RoleAsync(home));
        var otherRole = RbacKit.Id(await _kit.Roles.RoleAsync(other));
        var appRole = RbacKit.Id(await _kit.Roles.RoleAsync());
        var held = RbacKit.Id(await _kit.GroupAsync(null, "user:read"));
        var lacking = RbacKit.Id(await _kit.GroupAsync(null, "user:delete"));

        await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/api/v1/roles/{homeRole}", new { displayName = "Renamed by the tenant" }, user);
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, $"/api/v1/roles/{homeRole}/assign-permission-groups", new { permissionGroupIds = new[] { held } }, user);
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"),
            await _kit.ErrorAsync(HttpMethod.Post, $"/api/v1/roles/{homeRole}/assign-permission-groups", new { permissionGroupIds = new[] { lacking } }, user));
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, $"/api/v1/roles/{homeRole}/assign-permission-groups", new { permissionGroupIds = new[] { lacking } });
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"),
            await _kit.ErrorAsync(HttpMethod.Post, $"/api/v1/roles/{homeRole}/unassign-permission-groups", new { permissionGroupIds = new[] { lacking } }, user));
        var deleteId = (await _kit.PermissionIdsAsync("user:delete"))[0];
        await _kit.Roles.GrantAsync(homeRole, deleteId);
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"),
            await _kit.ErrorAsync(HttpMethod.Post, $"/api/v1/roles/{homeRole}/unassign-permissions", new { permissionIds = new[] { deleteId } }, user));

        // The application's roles are read-only for it, another tenant's do not exist for it.
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await _kit.ErrorAsync(HttpMethod.Patch, $"/api/v1/roles/{appRole}", new { displayName = "x" }, user));
        foreach (var (method, path, body) in new (HttpMethod, string, object)[]
        {
            (HttpMethod.Patch, $"/api/v1/roles/{otherRole}", new { displayName = "x" }),
            (HttpMethod.Post, $"/api/v1/roles/{otherRole}/unassign-permissions", new { permissionIds = new[] { deleteId } }),
            (HttpMethod.Post, $"/api/v1/roles/{otherRole}/assign-permission-groups", new { permissionGroupIds = new[] { held } }),
            (HttpMethod.Post, $"/api/v1/roles/{otherRole}/unassign-permission-groups", new { permissionGroupIds = new[] { held } }),
        })
        {
            Assert.Equal((HttpStatusCode.NotFound, "role_not_found"), await _kit.ErrorAsync(method, path, body, user));
        }

        Assert.Equal("A role", (await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/roles/{otherRole}")).GetProperty("displayName").GetString());
    }

    private async Task<string?[]> HeldAsync(HttpClient api, string value)
    {
        var info = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/permission-info?values={value}", api: api);
        return [.. info.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("value").GetString())];
    }
}

public sealed class RoleManagementOnSqlite(SqliteLanyard factory) : RoleManagementTests(factory), IClassFixture<SqliteLanyard>;

public sealed class RoleManagementOnPostgres(PostgresLanyard factory) : RoleManagementTests(factory), IClassFixture<PostgresLanyard>;
