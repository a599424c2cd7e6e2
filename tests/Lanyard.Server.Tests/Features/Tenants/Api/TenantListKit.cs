using System.Net.Http.Headers;
using System.Text.Json;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.Tenants;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Tenants.Api;

/// <summary>
/// Helpers of the tenant query API tests. Every test seeds its own tenants under a fresh name prefix and
/// filters on it, so tenants other tests of the same server created never show up in its answers.
/// </summary>
internal sealed class TenantListKit(LanyardFactory factory)
{
    /// <summary>When the seeded tenants were created: one minute apart, in the order of <see cref="SeedAsync"/>.</summary>
    public static readonly DateTimeOffset T0 = new(2024, 6, 1, 8, 0, 0, TimeSpan.Zero);

    private HttpClient? _admin;

    public string ApplicationId => factory.Bootstrap.ApplicationId;

    public string ListPath => $"/api/v1/applications/{ApplicationId}/tenants";

    public async Task<HttpClient> AdminAsync() => _admin ??= await factory.AdminApiAsync();

    /// <summary>Five tenants named <c>{prefix}alpha</c>, <c>{PREFIX}ALPINE</c>, beta, gamma, delta (see the table in the tests).</summary>
    public async Task<Seeded> SeedAsync()
    {
        var prefix = "q" + Guid.NewGuid().ToString("N")[..7];
        (string Name, string DisplayName, TenantStatus Status, bool Signup, string? Metadata)[] rows =
        [
            (prefix + "alpha", "Alpha Corp", TenantStatus.Active, true, """{"plan":"gold","seats":5}"""),
            (prefix + "beta", "Beta Inc", TenantStatus.Inactive, false, null),
            (prefix + "gamma", "gamma", TenantStatus.Active, false, null),
            (prefix + "delta", "Delta", TenantStatus.DeleteInProgress, true, null),
            (prefix.ToUpperInvariant() + "ALPINE", "Alpine", TenantStatus.Active, true, null),
        ];
        var tenants = new Dictionary<string, Tenant>(StringComparer.Ordinal);
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            var tenant = await factory.CreateTenantAsync(row.Name);
            await using var scope = factory.ScopeFor(ApplicationId);
            var created = T0.AddMinutes(i);
            await LanyardFactory.Db(scope).Tenants.Where(t => t.Id == tenant.Id).ExecuteUpdateAsync(s => s
                .SetProperty(t => t.DisplayName, row.DisplayName)
                .SetProperty(t => t.Status, row.Status)
                .SetProperty(t => t.SignupEnabled, row.Signup)
                .SetProperty(t => t.PublicMetadata, row.Metadata)
                .SetProperty(t => t.Description, "about " + row.DisplayName)
                .SetProperty(t => t.CreatedAt, created)
                .SetProperty(t => t.UpdatedAt, created));
            tenants[row.Name[prefix.Length..].ToLowerInvariant()] = tenant;
        }

        return new Seeded(prefix, tenants);
    }

    /// <summary>
    /// Tenants named <c>{prefix}{suffix}</c> for each suffix, under a fresh prefix; each with the display name and
    /// creation minute (after <see cref="T0"/>) <paramref name="shape"/> gives for its position, so sorts can tie.
    /// </summary>
    public async Task<Seeded> SeedNamesAsync(IReadOnlyList<string> suffixes, Func<int, (string DisplayName, int Minute)>? shape = null)
    {
        var prefix = "q" + Guid.NewGuid().ToString("N")[..7];
        var tenants = new Dictionary<string, Tenant>(StringComparer.Ordinal);
        for (var i = 0; i < suffixes.Count; i++)
        {
            var tenant = await factory.CreateTenantAsync(prefix + suffixes[i]);
            if (shape is not null)
            {
                var (displayName, minute) = shape(i);
                await using var scope = factory.ScopeFor(ApplicationId);
                await LanyardFactory.Db(scope).Tenants.Where(t => t.Id == tenant.Id).ExecuteUpdateAsync(s => s
                    .SetProperty(t => t.DisplayName, displayName)
                    .SetProperty(t => t.CreatedAt, T0.AddMinutes(minute)));
            }

            tenants[suffixes[i]] = tenant;
        }

        return new Seeded(prefix, tenants);
    }

    public async Task<HttpResponseMessage> ListAsync(string query, HttpClient? api = null) =>
        await (api ?? await AdminAsync()).GetAsync(new Uri(ListPath + (query.Length == 0 ? "" : "?" + query), UriKind.Relative));

    /// <summary>The answer's JSON; the content is buffered first, so a test may read one answer several times.</summary>
    public static async Task<JsonElement> BodyAsync(HttpResponseMessage response)
    {
        await response.Content.LoadIntoBufferAsync();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    /// <summary>The short names (the part after the prefix, lowercase) of the listed tenants, in answer order.</summary>
    public static async Task<string[]> NamesAsync(HttpResponseMessage response, Seeded seeded)
    {
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var body = await BodyAsync(response);
        return [.. body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()![seeded.Prefix.Length..].ToLowerInvariant())];
    }

    /// <summary><c>query=</c> for the seeded tenants only, and'ed with <paramref name="query"/> when given.</summary>
    public static string Query(Seeded seeded, string? query = null) =>
        "query=" + Uri.EscapeDataString(query is null ? $"name sw \"{seeded.Prefix}\"" : $"name sw \"{seeded.Prefix}\" and ({query})");

    /// <summary>An API client with a token of a machine-to-machine client without any role: authenticated, no permission.</summary>
    public async Task<HttpClient> PowerlessApiAsync()
    {
        var flow = new OAuthFlow(factory);
        var client = await flow.CreateClientAsync(OAuthClientType.MachineToMachine, "https://unused.example/cb");
        using var response = await flow.TokenRequestAsync(client, new Dictionary<string, string> { ["grant_type"] = "client_credentials" });
        return Bearer((await OAuthFlow.ReadTokensAsync(response)).AccessToken);
    }

    /// <summary>An API client with the access token of a user of <paramref name="tenant"/> whose role grants <c>tenant:read</c>.</summary>
    public async Task<HttpClient> TenantUserApiAsync(Tenant tenant)
    {
        // The tenant's own OPTIONAL MFA policy: an application policy another test left at REQUIRED cannot stop the login.
        await factory.SetPolicyAsync(PolicyKind.Mfa, """{"enrollmentStrategy":"OPTIONAL"}""", tenant);
        var email = $"tenant-reader-{Guid.NewGuid():N}@example.com";
        var user = await factory.CreateUserAsync(tenant, email);
        await using (var scope = factory.ScopeFor(ApplicationId))
        {
            var db = LanyardFactory.Db(scope);
            var role = new Role { Id = LanyardId.New(factory.Time), Name = $"app:test:tr{Guid.NewGuid():N}"[..40], DisplayName = "Tenant reader" };
            db.Roles.Add(role);
            var permission = await db.Permissions.Where(p => p.Value == "tenant:read").Select(p => p.Id).SingleAsync();
            db.RolePermissions.Add(new RolePermission { RoleId = role.Id, PermissionId = permission });
            await db.SaveChangesAsync();
            await using var tenantScope = factory.ScopeFor(ApplicationId, tenant.Id);
            var tenantDb = LanyardFactory.Db(tenantScope);
            tenantDb.UserRoles.Add(new UserRole { UserId = user.Id, RoleId = role.Id });
            await tenantDb.SaveChangesAsync();
        }

        var flow = new OAuthFlow(factory);
        var (tokens, _) = await flow.LoginAsync(flow.DemoClient, tenant.Name, email);
        return Bearer(tokens.AccessToken);
    }

    private HttpClient Bearer(string token)
    {
        var api = factory.ClientFor(LanyardFactory.ApplicationHost);
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return api;
    }
}

internal sealed record Seeded(string Prefix, IReadOnlyDictionary<string, Tenant> Tenants);
