using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Hosting;
using Lanyard.Testing;
using Microsoft.AspNetCore.Routing;

namespace Lanyard.Server.Tests.Features.Roles;

/// <summary>
/// A generated cross-tenant probe over every route of the role, permission, group, boundary, client and
/// token-claims APIs, enumerated from the routing table: a tenant-A user holding every permission, and a client
/// whose every permission is bounded to tenant A, name tenant B's objects in the path and the body. Each must
/// be refused (400/403/404) or, for reads, answered without anything of B; and B must be unchanged after.
/// </summary>
public abstract partial class RbacCrossTenantTests(LanyardFactory factory)
{
    private static readonly string[] ProbedNamespaces = ["Lanyard.Server.Features.Roles", "Lanyard.Server.Features.Clients.Api"];
    private readonly RbacKit _kit = new(factory);

    [Fact]
    public async Task Tenant_a_callers_never_reach_or_see_tenant_b()
    {
        var (a, b) = (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());
        var bUser = await _kit.Roles.UserAsync(b);
        var marker = $"Secret-{Guid.NewGuid():N}"[..20];
        var bRole = await _kit.RoleAsync(b, null, ["user:read"]);
        await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/api/v1/roles/{RbacKit.Id(bRole)}", new { displayName = marker });
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Put, $"/api/v1/users/{bUser.Id}/roles", new { roleIds = new[] { RbacKit.Id(bRole) } });
        var bBoundary = RbacKit.Id(await _kit.BoundaryAsync("TENANT_INCLUSION_LIST", b.Id));
        var group = RbacKit.Id(await _kit.GroupAsync(null, "user:read"));
        var machine = await _kit.Roles.MachineClientAsync();
        var permission = (await _kit.PermissionIdsAsync("user:read"))[0];

        var (_, user, _) = await _kit.Roles.UserApiAsync(a, RbacKit.AllPermissions);
        var bounded = await _kit.ClientApiAsync(RbacKit.Id(await _kit.BoundaryAsync("TENANT_INCLUSION_LIST", a.Id)), RbacKit.AllPermissions);

        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["tenantId"] = b.Id,
            ["userId"] = bUser.Id,
            ["applicationId"] = _kit.ApplicationId,
            ["clientId"] = machine.Id,
        };
        var body = new
        {
            roleIds = new[] { RbacKit.Id(bRole) },
            userIds = new[] { bUser.Id },
            permissionIds = new[] { permission },
            permissionGroupIds = new[] { group },
            resourceList = new[] { b.Id },
            ownerType = "TENANT",
            ownerId = b.Id,
            name = "probe",
            displayName = "probe",
            type = "TENANT_INCLUSION_LIST",
            value = "probe:value",
            permissionBoundaryId = bBoundary,
            customClaims = Array.Empty<object>(),
        };
        string[] secrets = [b.Name, bUser.Email, marker, RbacKit.Id(bRole), RbacKit.Id(bRole) + "\"", bBoundary];

        var probed = 0;
        var sources = factory.Services.GetRequiredService<EndpointDataSource>();
        foreach (var endpoint in ApiDocument.ApiEndpoints(sources).Where(IsProbed))
        {
            var path = PathParameter().Replace(ApiDocument.PathOf(endpoint), m => m.Groups[1].Value switch
            {
                "id" when ApiDocument.PathOf(endpoint).StartsWith("/api/v1/roles/", StringComparison.Ordinal) => RbacKit.Id(bRole),
                "id" when ApiDocument.PathOf(endpoint).StartsWith("/api/v1/permission-groups/", StringComparison.Ordinal) => group,
                "id" when ApiDocument.PathOf(endpoint).StartsWith("/api/v1/permission-boundaries/", StringComparison.Ordinal) => bBoundary,
                "id" => machine.Id,
                var name => values[name],
            });
            foreach (var method in ApiDocument.MethodsOf(endpoint))
            {
                foreach (var (who, api) in new[] { ("user of A", user), ("client bounded to A", bounded) })
                {
                    probed++;
                    using var response = await _kit.SendAsync(new HttpMethod(method), path, method == "GET" || method == "DELETE" ? null : body, api);
                    var text = await response.Content.ReadAsStringAsync();
                    var status = (int)response.StatusCode;
                    var mayAnswer = method == "GET" || path.EndsWith("/resolve-assigned-roles", StringComparison.Ordinal);
                    Assert.True(status is 400 or 403 or 404 || (mayAnswer && status == 200), $"{who}: {method} {path} answered {status}: {text}");
                    foreach (var secret in secrets.Where(s => !path.Contains(s, StringComparison.Ordinal)))
                    {
                        Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{who}: {method} {path} showed tenant B's data: {text}");
                    }
                }
            }
        }

        Assert.True(probed >= 60, $"only {probed} probes ran");

        // Nothing of B changed.
        var role = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/roles/{RbacKit.Id(bRole)}");
        Assert.Equal(marker, role.GetProperty("displayName").GetString());
        Assert.Equal([bRole.GetProperty("name").GetString()!], await _kit.Roles.AssignedRoleNamesAsync(bUser.Id));
        await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/permission-boundaries/{bBoundary}");
        await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/permission-groups/{group}");
        await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/clients/{machine.Id}");
    }

    /// <summary>The routes of the RBAC, client and token-claims features that require a permission.</summary>
    private static bool IsProbed(RouteEndpoint endpoint)
    {
        if (endpoint.Metadata.GetMetadata<RequiredPermission>() is null)
        {
            return false;
        }

        var handler = endpoint.Metadata.GetMetadata<MethodInfo>()?.DeclaringType;
        var owner = handler?.DeclaringType ?? handler; // lambdas live in a closure class nested in the endpoints class
        return owner?.Namespace is { } ns && (ProbedNamespaces.Contains(ns) || owner.Name == "TokenClaimsEndpoints");
    }

    [GeneratedRegex(@"\{([^}]+)\}")]
    private static partial Regex PathParameter();
}

public sealed class RbacCrossTenantOnSqlite(SqliteLanyard factory) : RbacCrossTenantTests(factory), IClassFixture<SqliteLanyard>;

public sealed class RbacCrossTenantOnPostgres(PostgresLanyard factory) : RbacCrossTenantTests(factory), IClassFixture<PostgresLanyard>;
