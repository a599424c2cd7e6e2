using System.Data.Common;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Tests.Features.Roles;
using Lanyard.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.ApiAuthorization;

/// <summary>
/// A probe generated from the server's own route table, so a route added later is probed without anyone
/// remembering to: two callers confined to tenant A — a user of A holding every predefined permission,
/// and a client whose every permission is bounded to an inclusion list of A — call every <c>/api/v1</c>
/// route and method with tenant B's ids in the path, the body and the query. A route naming a B object in
/// its path must answer 403 or 404, exactly as for an id that does not exist; no answer may carry B's
/// data; and not one row of tenant B may change.
/// </summary>
public abstract partial class CrossTenantProbeTests(LanyardFactory factory)
{
    private readonly RoleKit _kit = new(factory);

    [Fact]
    public async Task A_tenant_A_user_with_every_permission_gets_nothing_of_tenant_B_from_any_route()
    {
        var (a, b) = await TenantsAsync();
        var victim = await VictimAsync(b);
        var (user, _, role) = await _kit.UserApiAsync(a);
        await GrantEveryPredefinedPermissionAsync(role.GetProperty("id").GetString()!);

        await ProbeEveryRouteAsync(victim, async () => (await _kit.Flow.LoginAsync(_kit.Flow.DemoClient, a.Name, user.Email, RoleKit.AllScopes)).Tokens.AccessToken);
    }

    [Fact]
    public async Task A_client_bounded_to_tenant_A_gets_nothing_of_tenant_B_from_any_route()
    {
        var (a, b) = await TenantsAsync();
        var victim = await VictimAsync(b);
        var client = await _kit.MachineClientAsync();
        await using (var scope = factory.ScopeFor(_kit.ApplicationId))
        {
            var db = LanyardFactory.Db(scope);
            var time = scope.ServiceProvider.GetRequiredService<TimeProvider>();
            var boundary = new PermissionBoundary
            {
                Id = Lanyard.Server.Common.LanyardId.New(time), Name = $"app:probe:{Guid.NewGuid():N}", DisplayName = "Only A",
                Type = PermissionBoundaryType.TenantInclusionList, ResourceList = [a.Id],
            };
            var role = new Role { Id = Lanyard.Server.Common.LanyardId.New(time), Name = $"app:probe:{Guid.NewGuid():N}", DisplayName = "Probe", PermissionBoundaryId = boundary.Id };
            db.PermissionBoundaries.Add(boundary);
            db.Roles.Add(role);
            db.ClientRoles.Add(new ClientRole { ClientId = client.Id, RoleId = role.Id });
            await db.SaveChangesAsync();
            await GrantEveryPredefinedPermissionAsync(role.Id);
        }

        await ProbeEveryRouteAsync(victim, () => _kit.ClientTokenAsync(client, "roles"));
    }

    private async Task ProbeEveryRouteAsync(Victim victim, Func<Task<string>> token)
    {
        var routes = ApiRoutes();
        Assert.True(routes.Count >= 20, $"Only {routes.Count} /api/v1 routes found; is the route table read correctly?");
        var bearer = await token();
        var before = await FingerprintAsync(victim.Tenant.Id);
        var failures = new List<string>();
        var probed = 0;

        foreach (var (pattern, method) in routes)
        {
            if (!await StillValidAsync(bearer))
            {
                bearer = await token(); // a route acted on the caller itself (e.g. revoked its sessions)
            }

            var path = Fill(pattern, victim, out var namesVictim);
            using var response = await SendAsync(method, path, bearer, victim, withQuery: false);
            var body = await response.Content.ReadAsStringAsync();
            probed++;
            var status = (int)response.StatusCode;
            if (status == 401)
            {
                failures.Add($"{method} {pattern}: 401 — the probe's token was not accepted, so nothing was tested");
            }

            if (namesVictim && status is not (403 or 404))
            {
                // A 400 for input checked before any lookup is fine only if an unknown id gets the very same answer.
                using var absent = await SendAsync(method, Fill(pattern, Victim.Nobody(victim), out _), bearer, victim, withQuery: false);
                if (status != 400 || absent.StatusCode != response.StatusCode || await absent.Content.ReadAsStringAsync() != body)
                {
                    failures.Add($"{method} {pattern}: {status} for tenant B's object in the path (expected 403 or 404): {Shorten(body)}");
                }
            }

            if (namesVictim && status == 404)
            {
                // Absent and out of reach must look the same, or the answer tells which ids exist in B.
                using var absent = await SendAsync(method, Fill(pattern, Victim.Nobody(victim), out _), bearer, victim, withQuery: false);
                if (absent.StatusCode != response.StatusCode || ErrorCode(await absent.Content.ReadAsStringAsync()) != ErrorCode(body))
                {
                    failures.Add($"{method} {pattern}: tenant B's object answers differently from an unknown id ({ErrorCode(body)} vs {(int)absent.StatusCode} {ErrorCode(await absent.Content.ReadAsStringAsync())})");
                }
            }

            var answers = new List<string> { body };
            if (method == "GET")
            {
                // The same list or read again, now asking for B's rows through the query language.
                using var queried = await SendAsync(method, path, bearer, victim, withQuery: true);
                answers.Add(await queried.Content.ReadAsStringAsync());
            }

            foreach (var secret in victim.Secrets)
            {
                if (answers.Any(a => a.Contains(secret, StringComparison.OrdinalIgnoreCase)))
                {
                    failures.Add($"{method} {pattern}: {status} answer contains tenant B's '{secret}'");
                }
            }

            var after = await FingerprintAsync(victim.Tenant.Id);
            if (after != before)
            {
                failures.Add($"{method} {pattern}: {status} changed tenant B's rows ({before} → {after})");
                before = after;
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} leak(s) over {probed} probes:\n" + string.Join("\n", failures));
    }

    private List<(string Pattern, string Method)> ApiRoutes() =>
    [
        .. factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && raw.StartsWith("/api/v1/", StringComparison.Ordinal))
            // The protocol endpoints authenticate clients and sessions, not bearer management tokens; their own tests cover them.
            .Where(e => !e.RoutePattern.RawText!.StartsWith("/api/v1/oauth2/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (e.RoutePattern.RawText!, m)))
            .Distinct()
            .OrderBy(r => r.Item1, StringComparer.Ordinal).ThenBy(r => r.m, StringComparer.Ordinal),
    ];

    /// <summary>Puts tenant B's ids into a route pattern; tells whether any parameter named one of B's objects.</summary>
    private static string Fill(string pattern, Victim victim, out bool namesVictim)
    {
        var named = false;
        var path = RouteParameter().Replace(pattern, match =>
        {
            var name = match.Groups["name"].Value;
            var before = pattern[..match.Index];
            string? value = name switch
            {
                "tenantId" => victim.Tenant.Id,
                "userId" => victim.User.Id,
                "roleId" => victim.RoleId,
                "id" when before.EndsWith("/roles/", StringComparison.Ordinal) => victim.RoleId,
                "id" when before.Contains("polic", StringComparison.Ordinal) || before.Contains("branding", StringComparison.Ordinal)
                    || before.Contains("user-schemas", StringComparison.Ordinal) => victim.PolicyId,
                "applicationId" => victim.ApplicationId,
                _ => null,
            };
            named |= value is not null && name != "applicationId";
            return Uri.EscapeDataString(value ?? victim.UnknownId);
        });
        namesVictim = named;
        return path;
    }

    private async Task<HttpResponseMessage> SendAsync(string method, string path, string bearer, Victim victim, bool withQuery)
    {
        var api = factory.ClientFor(LanyardFactory.ApplicationHost);
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        var query = $"query={Uri.EscapeDataString($"tenantId eq \"{victim.Tenant.Id}\"")}&tenant_id={victim.Tenant.Id}";
        using var request = new HttpRequestMessage(new HttpMethod(method), withQuery ? $"{path}?{query}" : path);
        if (method is "POST" or "PUT" or "PATCH")
        {
            request.Content = new StringContent(Body(victim), Encoding.UTF8, "application/json");
        }

        return await api.SendAsync(request);
    }

    /// <summary>Every id-like field a body may carry, all naming tenant B, and plausible values for the rest so validation alone does not stop the request.</summary>
    private static string Body(Victim victim) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["tenantId"] = victim.Tenant.Id,
        ["ownerType"] = "TENANT",
        ["ownerId"] = victim.Tenant.Id,
        ["applicationId"] = victim.ApplicationId,
        ["userId"] = victim.User.Id,
        ["userIds"] = new[] { victim.User.Id },
        ["roleIds"] = new[] { victim.RoleId },
        ["permissionIds"] = new[] { victim.PermissionId },
        ["permissionGroupIds"] = new[] { victim.UnknownId },
        ["rolesToAssign"] = new[] { victim.RoleId },
        ["email"] = $"probe-{Guid.NewGuid():N}@example.com",
        ["name"] = "probe" + Guid.NewGuid().ToString("N")[..8],
        ["displayName"] = "Probe",
        ["tenantName"] = "probe" + Guid.NewGuid().ToString("N")[..8],
        ["password"] = "Probe password 1!",
        ["newPassword"] = "Probe password 2!",
        ["currentPassword"] = "Probe password 1!",
        ["status"] = "INACTIVE",
        ["enrollmentStrategy"] = "REQUIRED",
        ["minimumLength"] = 20,
        ["identityProviderName"] = "wristband",
    });

    private async Task<bool> StillValidAsync(string bearer)
    {
        var api = factory.ClientFor(LanyardFactory.ApplicationHost);
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var check = await api.GetAsync(new Uri("/api/v1/permission-info?values=user:read", UriKind.Relative));
        return check.StatusCode == HttpStatusCode.OK;
    }

    /// <summary>Row counts and version sums of tenant B across every tenant-scoped table, plus B's tenant row.</summary>
    private async Task<string> FingerprintAsync(string tenantId)
    {
        await using var scope = factory.ScopeFor(_kit.ApplicationId);
        var db = LanyardFactory.Db(scope);
        var parts = new List<string>();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        try
        {
            foreach (var entity in db.Model.GetEntityTypes().Where(e => e.FindProperty("TenantId") is not null).OrderBy(e => e.GetTableName(), StringComparer.Ordinal))
            {
                var versioned = entity.FindProperty("Version") is not null;
                parts.Add(entity.GetTableName() + "=" + await ScalarAsync(connection,
                    $"SELECT count(*){(versioned ? ", coalesce(sum(version), 0)" : "")} FROM {entity.GetTableName()} WHERE tenant_id = @p", tenantId));
            }

            parts.Add("tenant=" + await ScalarAsync(connection, "SELECT version, status FROM tenants WHERE id = @p", tenantId));
        }
        finally
        {
            await connection.CloseAsync();
        }

        return string.Join(";", parts);
    }

    private static async Task<string> ScalarAsync(DbConnection connection, string sql, string tenantId)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var parameter = command.CreateParameter();
        parameter.ParameterName = "p";
        parameter.Value = tenantId;
        command.Parameters.Add(parameter);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            for (var i = 0; i < reader.FieldCount; i++)
            {
                values.Add(Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture) ?? "");
            }
        }

        return string.Join(",", values);
    }

    private static string Shorten(string body) => body.Length > 200 ? body[..200] + "…" : body;

    private static string? ErrorCode(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<(Tenant A, Tenant B)> TenantsAsync() => (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());

    /// <summary>Tenant B with a user, a tenant role held by that user, and a tenant policy row: things a leak would show.</summary>
    private async Task<Victim> VictimAsync(Tenant b)
    {
        var user = await factory.CreateUserAsync(b, $"victim-{Guid.NewGuid():N}@example.com");
        var role = await _kit.RoleAsync(b, RoleKit.UniqueName("victim"), "Victim role");
        using (var assigned = await _kit.AssignAsync(user.Id, [role.GetProperty("id").GetString()!]))
        {
            Assert.Equal(HttpStatusCode.NoContent, assigned.StatusCode);
        }

        await factory.SetPolicyAsync(Lanyard.Server.Features.Policies.PolicyKind.Mfa, """{"enrollmentStrategy":"OPTIONAL"}""", b);
        await using var scope = factory.ScopeFor(_kit.ApplicationId, b.Id);
        var policyId = await LanyardFactory.Db(scope).Policies.Where(p => p.TenantId == b.Id).Select(p => p.Id).FirstAsync();
        var permissionId = await _kit.PermissionIdAsync("user:read");
        return new Victim(b, user, role.GetProperty("id").GetString()!, role.GetProperty("name").GetString()!, policyId, _kit.ApplicationId, permissionId);
    }

    /// <summary>Every predefined permission (more than one assign-permissions request may carry) straight into the role.</summary>
    private async Task GrantEveryPredefinedPermissionAsync(string roleId)
    {
        await using var scope = factory.ScopeFor(_kit.ApplicationId);
        var db = LanyardFactory.Db(scope);
        db.RolePermissions.AddRange(await db.Permissions.Where(p => p.Type == RbacType.Predefined)
            .Select(p => new RolePermission { RoleId = roleId, PermissionId = p.Id }).ToListAsync());
        await db.SaveChangesAsync();
    }

    [GeneratedRegex(@"\{(?<name>[A-Za-z]+)(:[^}]*)?\}")]
    private static partial Regex RouteParameter();

    private sealed record Victim(Tenant Tenant, User User, string RoleId, string RoleName, string PolicyId, string ApplicationId, string PermissionId)
    {
        public string UnknownId { get; init; } = "zzzzzzzzzzzzzzzzzzzzzzzzzz";

        /// <summary>What must never appear in an answer to a caller confined to tenant A.</summary>
        public IEnumerable<string> Secrets => [Tenant.Name, User.Email, RoleName];

        /// <summary>The same shape with ids that exist nowhere: what an absent object looks like.</summary>
        public static Victim Nobody(Victim victim) => victim with
        {
            Tenant = new Tenant { Id = victim.UnknownId, ApplicationId = victim.ApplicationId, Name = "nobody", NormalizedName = "nobody", DisplayName = "Nobody" },
            User = new User { Id = victim.UnknownId, IdentityProviderId = "", IdentityProviderName = "", Email = "", NormalizedEmail = "" },
            RoleId = victim.UnknownId,
            PolicyId = victim.UnknownId,
        };
    }
}

public sealed class CrossTenantProbeOnSqlite(SqliteLanyard factory) : CrossTenantProbeTests(factory), IClassFixture<SqliteLanyard>;

public sealed class CrossTenantProbeOnPostgres(PostgresLanyard factory) : CrossTenantProbeTests(factory), IClassFixture<PostgresLanyard>;
