using System.Net;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Roles;

/// <summary>The permission boundary and permission group APIs: creation rules, reading, listing, deleting, and what a group grants.</summary>
public abstract class BoundaryAndGroupApiTests(LanyardFactory factory)
{
    private readonly RbacKit _kit = new(factory);

    [Fact]
    public async Task A_custom_boundary_lists_existing_tenants_and_is_read_and_listed()
    {
        var (a, b) = (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());
        var name = RoleKit.UniqueName("bnd");
        var created = await _kit.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/api/v1/permission-boundaries",
            new { name, displayName = " Two tenants ", description = "A and B", type = "TENANT_INCLUSION_LIST", resourceList = new[] { a.Id, b.Id, a.Id } });
        Assert.Equal($"app:{await AppNameAsync()}:{name}", created.GetProperty("name").GetString());
        Assert.Equal("Two tenants", created.GetProperty("displayName").GetString());
        Assert.Equal("TENANT_INCLUSION_LIST", created.GetProperty("type").GetString());
        Assert.Equal([a.Id, b.Id], created.GetProperty("resourceList").EnumerateArray().Select(t => t.GetString()));
        Assert.False(created.TryGetProperty("value", out _));
        Assert.Equal("APPLICATION", created.GetProperty("ownerType").GetString());

        var read = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/permission-boundaries/{RbacKit.Id(created)}");
        Assert.Equal(WithoutMetadata(created), WithoutMetadata(read));

        var list = $"/api/v1/applications/{_kit.ApplicationId}/permission-boundaries";
        var custom = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"{list}?count=1000");
        Assert.Contains(RbacKit.Id(created), RbacKit.Ids(custom));
        Assert.DoesNotContain(custom.GetProperty("items").EnumerateArray(), i => i.GetProperty("type").GetString() == "PREDEFINED");
        var predefined = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get,
            $"{list}?include_predefined_permission_boundaries=true&query=type eq \"PREDEFINED\"&sort_by=name");
        Assert.Equal(["predefined:application", "predefined:self", "predefined:tenant"],
            predefined.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        Assert.Equal(["APPLICATION", "SELF", "TENANT"], predefined.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("value").GetString()));
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_query"), await _kit.ErrorAsync(HttpMethod.Get, $"{list}?query=resourceList eq \"x\""));
        Assert.Equal((HttpStatusCode.NotFound, "application_not_found"), await _kit.ErrorAsync(HttpMethod.Get, "/api/v1/applications/otherapp/permission-boundaries"));
        Assert.Equal((HttpStatusCode.NotFound, "permission_boundary_not_found"), await _kit.ErrorAsync(HttpMethod.Get, "/api/v1/permission-boundaries/nosuchboundary"));
    }

    [Fact]
    public async Task Boundary_input_is_validated()
    {
        var tenant = await factory.CreateTenantAsync();
        const string path = "/api/v1/permission-boundaries";
        object Body(string? name = "ok", string? displayName = "x", string? type = "TENANT_EXCLUSION_LIST", string[]? list = null, string? ownerType = null) =>
            new { name, displayName, type, resourceList = list ?? [tenant.Id], ownerType };

        Assert.Equal(["required"], await _kit.ViolationsAsync(HttpMethod.Post, path, Body(name: null), "name"));
        Assert.Equal(["invalid_format"], await _kit.ViolationsAsync(HttpMethod.Post, path, Body(name: "Upper"), "name"));
        Assert.Equal(["too_long"], await _kit.ViolationsAsync(HttpMethod.Post, path, Body(name: new string('b', 41)), "name"));
        Assert.Equal(["required"], await _kit.ViolationsAsync(HttpMethod.Post, path, Body(displayName: null), "displayName"));
        Assert.Equal(["required"], await _kit.ViolationsAsync(HttpMethod.Post, path, Body(type: null), "type"));
        Assert.Equal(["invalid_value"], await _kit.ViolationsAsync(HttpMethod.Post, path, Body(type: "PREDEFINED"), "type"));
        Assert.Equal(["invalid_value"], await _kit.ViolationsAsync(HttpMethod.Post, path, Body(type: "CUSTOM"), "type"));
        Assert.Equal(["required"], await _kit.ViolationsAsync(HttpMethod.Post, path, Body(list: []), "resourceList"));
        Assert.Equal(["invalid_value"], await _kit.ViolationsAsync(HttpMethod.Post, path, Body(list: [tenant.Id, "nosuchtenant"]), "resourceList"));
        Assert.Equal(["invalid_value"], await _kit.ViolationsAsync(HttpMethod.Post, path, Body(ownerType: "TENANT"), "ownerType"));
        var eleven = new List<string>();
        for (var i = 0; i < 11; i++)
        {
            eleven.Add((await factory.CreateTenantAsync()).Id);
        }

        Assert.Equal(["too_long"], await _kit.ViolationsAsync(HttpMethod.Post, path, Body(list: [.. eleven]), "resourceList"));
        await _kit.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, path, Body(name: "ten-tenants", list: [.. eleven.Take(10)]));
        Assert.Equal(["not_unique"], await _kit.ViolationsAsync(HttpMethod.Post, path, Body(name: "ten-tenants"), "name"));
    }

    [Fact]
    public async Task A_boundary_in_use_or_predefined_is_not_deleted()
    {
        var tenant = await factory.CreateTenantAsync();
        var boundary = RbacKit.Id(await _kit.BoundaryAsync("TENANT_INCLUSION_LIST", tenant.Id));
        var role = await _kit.RoleAsync(tenant, boundary, []);
        var path = $"/api/v1/permission-boundaries/{boundary}";
        Assert.Equal((HttpStatusCode.Conflict, "permission_boundary_in_use"), await _kit.ErrorAsync(HttpMethod.Delete, path));

        await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/api/v1/roles/{RbacKit.Id(role)}", new { permissionBoundaryId = (string?)null });
        var group = await _kit.GroupAsync(boundary);
        Assert.Equal((HttpStatusCode.Conflict, "permission_boundary_in_use"), await _kit.ErrorAsync(HttpMethod.Delete, path));
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/api/v1/permission-groups/{RbacKit.Id(group)}");

        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, path);
        Assert.Equal((HttpStatusCode.NotFound, "permission_boundary_not_found"), await _kit.ErrorAsync(HttpMethod.Delete, path));
        var self = await _kit.PredefinedBoundaryIdAsync("self");
        Assert.Equal((HttpStatusCode.BadRequest, "permission_boundary_predefined"), await _kit.ErrorAsync(HttpMethod.Delete, $"/api/v1/permission-boundaries/{self}"));
    }

    [Fact]
    public async Task A_group_grants_its_permissions_under_its_own_boundary_until_it_is_deleted()
    {
        var (inside, outside) = (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());
        var boundary = RbacKit.Id(await _kit.BoundaryAsync("TENANT_INCLUSION_LIST", inside.Id));
        var name = RoleKit.UniqueName("grp");
        var group = await _kit.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/api/v1/permission-groups",
            new { name, displayName = "Tenant readers", description = "Read tenants", permissionBoundaryId = boundary, ownerType = "APPLICATION", ownerId = _kit.ApplicationId });
        var groupId = RbacKit.Id(group);
        Assert.Equal($"app:{await AppNameAsync()}:{name}", group.GetProperty("name").GetString());
        Assert.Equal(boundary, group.GetProperty("permissionBoundaryId").GetString());
        Assert.Equal(WithoutMetadata(group), WithoutMetadata(await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/permission-groups/{groupId}")));

        var ids = await _kit.PermissionIdsAsync("tenant:read", "role:read");
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, $"/api/v1/permission-groups/{groupId}/assign-permissions", new { permissionIds = ids });
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, $"/api/v1/permission-groups/{groupId}/assign-permissions", new { permissionIds = ids[..1] }); // idempotent
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, $"/api/v1/permission-groups/{groupId}/unassign-permissions", new { permissionIds = ids[1..] });
        var held = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/permission-groups/{groupId}/permissions?fields=value");
        Assert.Equal(["tenant:read"], held.GetProperty("items").EnumerateArray().Select(p => p.GetProperty("value").GetString()));

        // A client whose role holds the group reads tenants, only within the group's boundary.
        var role = await _kit.RoleAsync(null, null, [], groupId);
        var client = await _kit.Roles.MachineClientAsync();
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, $"/api/v1/clients/{client.Id}/assign-roles", new { roleIds = new[] { RbacKit.Id(role) } });
        var api = _kit.Roles.Bearer(await _kit.Roles.ClientTokenAsync(client));
        var tenants = $"/api/v1/applications/{_kit.ApplicationId}/tenants?query=id in (\"{inside.Id}\", \"{outside.Id}\")";
        Assert.Equal([inside.Id], RbacKit.Ids(await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, tenants, api: api)));

        // Unassigned from the role, the group grants nothing: permissions are read per request.
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, $"/api/v1/roles/{RbacKit.Id(role)}/unassign-permission-groups", new { permissionGroupIds = new[] { groupId } });
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await _kit.ErrorAsync(HttpMethod.Get, tenants, api: api));
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, $"/api/v1/roles/{RbacKit.Id(role)}/assign-permission-groups", new { permissionGroupIds = new[] { groupId } });
        await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, tenants, api: api);

        // Deleted, it takes its permissions from every role that held it.
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/api/v1/permission-groups/{groupId}");
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await _kit.ErrorAsync(HttpMethod.Get, tenants, api: api));
        Assert.Equal((HttpStatusCode.NotFound, "permission_group_not_found"), await _kit.ErrorAsync(HttpMethod.Get, $"/api/v1/permission-groups/{groupId}"));
        Assert.Equal((HttpStatusCode.NotFound, "permission_group_not_found"), await _kit.ErrorAsync(HttpMethod.Delete, $"/api/v1/permission-groups/{groupId}"));
    }

    [Fact]
    public async Task Group_input_is_validated_and_groups_are_listed()
    {
        await factory.StartAsync();
        const string path = "/api/v1/permission-groups";
        Assert.Equal(["required"], await _kit.ViolationsAsync(HttpMethod.Post, path, new { displayName = "x" }, "name"));
        Assert.Equal(["invalid_format"], await _kit.ViolationsAsync(HttpMethod.Post, path, new { name = "a:b", displayName = "x" }, "name"));
        Assert.Equal(["required"], await _kit.ViolationsAsync(HttpMethod.Post, path, new { name = "ok" }, "displayName"));
        Assert.Equal(["too_long"], await _kit.ViolationsAsync(HttpMethod.Post, path, new { name = "ok", displayName = new string('d', 61) }, "displayName"));
        Assert.Equal(["too_long"], await _kit.ViolationsAsync(HttpMethod.Post, path, new { name = "ok", displayName = "x", description = new string('d', 501) }, "description"));
        Assert.Equal(["invalid_value"], await _kit.ViolationsAsync(HttpMethod.Post, path, new { name = "ok", displayName = "x", permissionBoundaryId = "nosuchboundary" }, "permissionBoundaryId"));
        Assert.Equal(["invalid_value"], await _kit.ViolationsAsync(HttpMethod.Post, path, new { name = "ok", displayName = "x", ownerId = "otherapp" }, "ownerId"));

        var group = await _kit.GroupAsync(null);
        var groupId = RbacKit.Id(group);
        var assign = $"/api/v1/permission-groups/{groupId}/assign-permissions";
        Assert.Equal(["required"], await _kit.ViolationsAsync(HttpMethod.Post, assign, new { permissionIds = Array.Empty<string>() }, "permissionIds"));
        Assert.Equal(["too_long"], await _kit.ViolationsAsync(HttpMethod.Post, assign, new { permissionIds = Enumerable.Range(0, 101).Select(i => $"p{i}").ToArray() }, "permissionIds"));
        Assert.Equal(["invalid_value"], await _kit.ViolationsAsync(HttpMethod.Post, assign, new { permissionIds = new[] { "nosuchpermission" } }, "permissionIds"));
        Assert.Equal((HttpStatusCode.NotFound, "permission_group_not_found"),
            await _kit.ErrorAsync(HttpMethod.Post, "/api/v1/permission-groups/nosuchgroup/assign-permissions", new { permissionIds = await _kit.PermissionIdsAsync("user:read") }));
        Assert.Equal(["not_unique"], await _kit.ViolationsAsync(HttpMethod.Post, path,
            new { name = group.GetProperty("name").GetString()!.Split(':')[^1], displayName = "again" }, "name"));

        var list = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get,
            $"/api/v1/applications/{_kit.ApplicationId}/permission-groups?query=name eq \"{group.GetProperty("name").GetString()}\"&fields=displayName");
        Assert.Equal([groupId], RbacKit.Ids(list));
        Assert.Equal((HttpStatusCode.NotFound, "application_not_found"), await _kit.ErrorAsync(HttpMethod.Get, "/api/v1/applications/otherapp/permission-groups"));
    }

    [Fact]
    public async Task Boundaries_and_group_changes_need_the_whole_application_and_groups_are_readable_by_users()
    {
        var (home, other) = (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());
        var boundary = RbacKit.Id(await _kit.BoundaryAsync("TENANT_INCLUSION_LIST", other.Id));
        var group = RbacKit.Id(await _kit.GroupAsync(null, "user:read"));
        var permission = (await _kit.PermissionIdsAsync("user:read"))[0];
        var listed = RbacKit.Id(await _kit.BoundaryAsync("TENANT_INCLUSION_LIST", home.Id));
        var bounded = await _kit.ClientApiAsync(listed, RbacKit.AllPermissions);
        var (_, user, _) = await _kit.Roles.UserApiAsync(home, RbacKit.AllPermissions);
        var powerless = await _kit.ClientApiAsync(null);

        (HttpMethod Method, string Path, object? Body)[] applicationWide =
        [
            (HttpMethod.Post, "/api/v1/permission-boundaries", new { name = "x", displayName = "x", type = "TENANT_INCLUSION_LIST", resourceList = new[] { home.Id } }),
            (HttpMethod.Get, $"/api/v1/permission-boundaries/{boundary}", null),
            (HttpMethod.Delete, $"/api/v1/permission-boundaries/{boundary}", null),
            (HttpMethod.Get, $"/api/v1/applications/{_kit.ApplicationId}/permission-boundaries", null),
            (HttpMethod.Post, "/api/v1/permission-groups", new { name = "x", displayName = "x" }),
            (HttpMethod.Post, $"/api/v1/permission-groups/{group}/assign-permissions", new { permissionIds = new[] { permission } }),
            (HttpMethod.Post, $"/api/v1/permission-groups/{group}/unassign-permissions", new { permissionIds = new[] { permission } }),
            (HttpMethod.Delete, $"/api/v1/permission-groups/{group}", null),
        ];
        foreach (var (method, path, body) in applicationWide)
        {
            foreach (var caller in new[] { bounded, user, powerless })
            {
                using var response = await _kit.SendAsync(method, path, body, caller);
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path}: {(int)response.StatusCode}");
                Assert.DoesNotContain(other.Id, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            Assert.Equal(HttpStatusCode.Unauthorized, (await _kit.ErrorAsync(method, path, body, _kit.Roles.Bearer(null))).Status);
        }

        // Reading groups names no tenant: a user holding permission-group:read may.
        await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/permission-groups/{group}", api: user);
        await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/permission-groups/{group}/permissions", api: user);
        await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/applications/{_kit.ApplicationId}/permission-groups", api: user);
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await _kit.ErrorAsync(HttpMethod.Get, $"/api/v1/permission-groups/{group}", api: powerless));
        await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/permission-boundaries/{boundary}"); // untouched
        await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/permission-groups/{group}");
    }

    /// <summary>The item without its timestamps, which a database may store at a coarser precision than they were made with.</summary>
    private static string WithoutMetadata(System.Text.Json.JsonElement item)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(item.GetRawText())!.AsObject();
        node.Remove("metadata");
        return node.ToJsonString();
    }

    private async Task<string> AppNameAsync()
    {
        await using var scope = factory.ScopeFor(_kit.ApplicationId);
        return LanyardFactory.Db(scope).Applications.Single(a => a.Id == _kit.ApplicationId).Name;
    }
}

public sealed class BoundaryAndGroupApiOnSqlite(SqliteLanyard factory) : BoundaryAndGroupApiTests(factory), IClassFixture<SqliteLanyard>;

public sealed class BoundaryAndGroupApiOnPostgres(PostgresLanyard factory) : BoundaryAndGroupApiTests(factory), IClassFixture<PostgresLanyard>;
