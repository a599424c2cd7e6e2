using System.Net;
using System.Text.Json;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Roles;

/// <summary>
/// Replacing a user's roles, reading many users' roles, which roles a caller may assign, and the escalation
/// rule through permission groups and boundaries.
/// </summary>
public abstract class RoleResolveTests(LanyardFactory factory)
{
    private readonly RbacKit _kit = new(factory);

    [Fact]
    public async Task Put_replaces_a_users_roles_and_a_refused_request_writes_nothing()
    {
        var (tenant, other) = (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());
        var user = await _kit.Roles.UserAsync(tenant);
        var a = await _kit.Roles.RoleAsync(displayName: "A");
        var b = await _kit.Roles.RoleAsync(tenant, displayName: "B");
        var c = await _kit.Roles.RoleAsync(displayName: "C");
        var path = $"/api/v1/users/{user.Id}/roles";

        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Put, path, new { roleIds = new[] { RbacKit.Id(a), RbacKit.Id(b) } });
        Assert.Equal(Names(a, b), await _kit.Roles.AssignedRoleNamesAsync(user.Id));
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Put, path, new { roleIds = new[] { RbacKit.Id(b), RbacKit.Id(c), RbacKit.Id(c) } });
        Assert.Equal(Names(b, c), await _kit.Roles.AssignedRoleNamesAsync(user.Id));

        var foreign = await _kit.Roles.RoleAsync(other);
        Assert.Equal(["invalid_value"], await _kit.ViolationsAsync(HttpMethod.Put, path, new { roleIds = new[] { RbacKit.Id(a), RbacKit.Id(foreign) } }, "roleIds"));
        Assert.Equal(["invalid_value"], await _kit.ViolationsAsync(HttpMethod.Put, path, new { roleIds = new[] { "" } }, "roleIds"));
        Assert.Equal(["required"], await _kit.ViolationsAsync(HttpMethod.Put, path, new { }, "roleIds"));
        Assert.Equal(["too_long"], await _kit.ViolationsAsync(HttpMethod.Put, path, new { roleIds = Enumerable.Range(0, 101).Select(i => $"r{i}").ToArray() }, "roleIds"));
        Assert.Equal(Names(b, c), await _kit.Roles.AssignedRoleNamesAsync(user.Id));
        Assert.Equal((HttpStatusCode.NotFound, "user_not_found"), await _kit.ErrorAsync(HttpMethod.Put, "/api/v1/users/nosuchuser/roles", new { roleIds = Array.Empty<string>() }));

        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Put, path, new { roleIds = Array.Empty<string>() });
        Assert.Empty(await _kit.Roles.AssignedRoleNamesAsync(user.Id));
    }

    [Fact]
    public async Task Resolve_assigned_roles_answers_each_reached_user_and_a_failure_for_every_other()
    {
        var (home, other) = (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());
        var (alice, bob) = (await _kit.Roles.UserAsync(home), await _kit.Roles.UserAsync(other));
        var homeRole = await _kit.Roles.RoleAsync(home, displayName: "Home role");
        var otherRole = await _kit.Roles.RoleAsync(other, displayName: "Secret other role");
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Put, $"/api/v1/users/{alice.Id}/roles", new { roleIds = new[] { RbacKit.Id(homeRole) } });
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Put, $"/api/v1/users/{bob.Id}/roles", new { roleIds = new[] { RbacKit.Id(otherRole) } });
        const string path = "/api/v1/users/resolve-assigned-roles";

        var all = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, path, new { userIds = new[] { alice.Id, bob.Id, "nosuchuser", alice.Id } });
        var items = all.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([alice.Id, bob.Id], items.Select(i => i.GetProperty("userId").GetString()));
        Assert.Equal([RbacKit.Id(homeRole)], items[0].GetProperty("roles").EnumerateArray().Select(RbacKit.Id));
        Assert.Equal([RbacKit.Id(otherRole)], items[1].GetProperty("roles").EnumerateArray().Select(RbacKit.Id));
        var failure = all.GetProperty("failures").EnumerateArray().Single();
        Assert.Equal(("user_not_found", 2, "nosuchuser"), (failure.GetProperty("code").GetString(), failure.GetProperty("index").GetInt32(), failure.GetProperty("userId").GetString()));
        Assert.False(string.IsNullOrEmpty(failure.GetProperty("message").GetString()));

        // A user of home: bob is a failure like an unknown id, and nothing of the other tenant shows.
        var (_, user, _) = await _kit.Roles.UserApiAsync(home, "user:read");
        using (var response = await _kit.SendAsync(HttpMethod.Post, path, new { userIds = new[] { bob.Id, alice.Id } }, user))
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.DoesNotContain("Secret other role", text, StringComparison.Ordinal);
            Assert.DoesNotContain(RbacKit.Id(otherRole), text, StringComparison.Ordinal);
            var body = JsonDocument.Parse(text).RootElement;
            Assert.Equal([alice.Id], body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("userId").GetString()));
            Assert.Equal([0], body.GetProperty("failures").EnumerateArray().Select(f => f.GetProperty("index").GetInt32()));
        }

        Assert.Equal(["required"], await _kit.ViolationsAsync(HttpMethod.Post, path, new { userIds = Array.Empty<string>() }, "userIds"));
        Assert.Equal(["too_long"], await _kit.ViolationsAsync(HttpMethod.Post, path, new { userIds = Enumerable.Range(0, 101).Select(i => $"u{i}").ToArray() }, "userIds"));
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await _kit.ErrorAsync(HttpMethod.Post, path, new { userIds = new[] { alice.Id } }, await _kit.ClientApiAsync(null)));
    }

    [Fact]
    public async Task Assignable_roles_are_those_whose_every_grant_the_caller_could_hand_out()
    {
        var (home, other) = (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());
        var (_, api, _) = await _kit.Roles.UserApiAsync(home, "user:write", "user:read");
        var target = await _kit.Roles.UserAsync(home);
        var within = await _kit.RoleAsync(home, null, ["user:read"]);
        var beyond = await _kit.RoleAsync(home, null, ["user:read", "user:delete"]);
        var beyondByGroup = await _kit.RoleAsync(home, null, [], RbacKit.Id(await _kit.GroupAsync(null, "tenant:delete")));
        var withinByGroup = await _kit.RoleAsync(home, null, [], RbacKit.Id(await _kit.GroupAsync(null, "user:write")));
        var elsewhere = await _kit.RoleAsync(other, null, []);

        var assignable = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/api/v1/users/{target.Id}/resolve-assignable-roles", api: api);
        var ids = RbacKit.Ids(assignable);
        Assert.Equal(ids.Length, assignable.GetProperty("totalResults").GetInt32());
        Assert.Contains(RbacKit.Id(within), ids);
        Assert.Contains(RbacKit.Id(withinByGroup), ids);
        Assert.DoesNotContain(RbacKit.Id(beyond), ids);
        Assert.DoesNotContain(RbacKit.Id(beyondByGroup), ids);
        Assert.DoesNotContain(RbacKit.Id(elsewhere), ids);

        // The answer is what assign-roles then accepts and refuses.
        Assert.Equal(HttpStatusCode.NoContent, (await _kit.ErrorAsync(HttpMethod.Post, $"/api/v1/users/{target.Id}/assign-roles", new { roleIds = new[] { RbacKit.Id(within), RbacKit.Id(withinByGroup) } }, api)).Status);
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await _kit.ErrorAsync(HttpMethod.Post, $"/api/v1/users/{target.Id}/assign-roles", new { roleIds = new[] { RbacKit.Id(beyondByGroup) } }, api));
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await _kit.ErrorAsync(HttpMethod.Put, $"/api/v1/users/{target.Id}/roles", new { roleIds = new[] { RbacKit.Id(beyond) } }, api));
        // Taking away a role the caller could not give is refused the same way.
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, $"/api/v1/users/{target.Id}/assign-roles", new { roleIds = new[] { RbacKit.Id(beyond) } });
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await _kit.ErrorAsync(HttpMethod.Put, $"/api/v1/users/{target.Id}/roles", new { roleIds = Array.Empty<string>() }, api));

        // The admin client may assign every role visible to the user's tenant.
        var everything = RbacKit.Ids(await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/api/v1/users/{target.Id}/resolve-assignable-roles"));
        Assert.Contains(RbacKit.Id(beyondByGroup), everything);
        Assert.DoesNotContain(RbacKit.Id(elsewhere), everything);

        var stranger = await _kit.Roles.UserAsync(other);
        Assert.Equal((HttpStatusCode.NotFound, "user_not_found"), await _kit.ErrorAsync(HttpMethod.Post, $"/api/v1/users/{stranger.Id}/resolve-assignable-roles", api: api));
        Assert.Equal((HttpStatusCode.NotFound, "user_not_found"), await _kit.ErrorAsync(HttpMethod.Post, "/api/v1/users/nosuchuser/resolve-assignable-roles"));
    }

    [Fact]
    public async Task A_self_bounded_user_cannot_hand_out_a_tenant_wide_grant()
    {
        var tenant = await factory.CreateTenantAsync();
        var self = await _kit.PredefinedBoundaryIdAsync("self");
        var (me, api, role) = await _kit.Roles.UserApiAsync(tenant, "user:write", "user:read");
        await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/api/v1/roles/{RbacKit.Id(role)}", new { permissionBoundaryId = self });

        var tenantWide = await _kit.RoleAsync(tenant, null, ["user:write"]);
        var selfOnly = await _kit.RoleAsync(tenant, self, ["user:write"]);
        var offered = RbacKit.Ids(await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/api/v1/users/{me.Id}/resolve-assignable-roles", api: api));
        Assert.Contains(RbacKit.Id(selfOnly), offered);
        Assert.DoesNotContain(RbacKit.Id(tenantWide), offered);

        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await _kit.ErrorAsync(HttpMethod.Post, $"/api/v1/users/{me.Id}/assign-roles", new { roleIds = new[] { RbacKit.Id(tenantWide) } }, api));
        Assert.Equal(HttpStatusCode.NoContent, (await _kit.ErrorAsync(HttpMethod.Post, $"/api/v1/users/{me.Id}/assign-roles", new { roleIds = new[] { RbacKit.Id(selfOnly) } }, api)).Status);

        // Nor widen a role's boundary: a tenant role of its own with user:write under SELF stays SELF.
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await _kit.ErrorAsync(HttpMethod.Patch, $"/api/v1/roles/{RbacKit.Id(selfOnly)}", new { permissionBoundaryId = (string?)null }, api));
    }

    [Fact]
    public async Task A_client_may_be_given_application_roles_only()
    {
        var tenant = await factory.CreateTenantAsync();
        var machine = await _kit.Roles.MachineClientAsync();
        var appRole = RbacKit.Id(await _kit.Roles.RoleAsync());
        var tenantRole = RbacKit.Id(await _kit.Roles.RoleAsync(tenant));
        var ids = RbacKit.Ids(await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/api/v1/clients/{machine.Id}/resolve-assignable-roles"));
        Assert.Contains(appRole, ids);
        Assert.DoesNotContain(tenantRole, ids);

        var spa = await _kit.Flow.CreateClientAsync(Lanyard.Server.Features.Clients.OAuthClientType.Spa, "https://localhost:7001/cb");
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_client_type"), await _kit.ErrorAsync(HttpMethod.Post, $"/api/v1/clients/{spa.Id}/resolve-assignable-roles"));
        Assert.Equal((HttpStatusCode.NotFound, "client_not_found"), await _kit.ErrorAsync(HttpMethod.Post, "/api/v1/clients/nosuchclient/resolve-assignable-roles"));
        var (_, user, _) = await _kit.Roles.UserApiAsync(tenant, "client:write");
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await _kit.ErrorAsync(HttpMethod.Post, $"/api/v1/clients/{machine.Id}/resolve-assignable-roles", api: user));
    }

    private static string[] Names(params JsonElement[] roles) => [.. roles.Select(r => r.GetProperty("name").GetString()!).Order(StringComparer.Ordinal)];
}

public sealed class RoleResolveOnSqlite(SqliteLanyard factory) : RoleResolveTests(factory), IClassFixture<SqliteLanyard>;

public sealed class RoleResolveOnPostgres(PostgresLanyard factory) : RoleResolveTests(factory), IClassFixture<PostgresLanyard>;
