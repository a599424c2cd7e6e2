using System.Net.Http.Headers;
using System.Net.Http.Json;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Lanyard.Testing;

/// <summary>Small builders over the server's own use cases, so test data passes the same validation as real data.</summary>
internal static class TestData
{
    private static int _counter;

    public static string UniqueTenantName(string prefix = "t") =>
        $"{prefix}{Interlocked.Increment(ref _counter)}{Guid.NewGuid().ToString("N")[..6]}";

    public static async Task<Tenant> CreateTenantAsync(this LanyardFactory factory, string? name = null)
    {
        await factory.StartAsync();
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId);
        var result = await scope.ServiceProvider.GetRequiredService<CreateTenant>()
            .ExecuteAsync(new CreateTenantRequest(name ?? UniqueTenantName(), "Test Tenant"), CancellationToken.None);
        return Assert.IsType<CreateTenantResult.Created>(result).Tenant;
    }

    public static async Task<User> CreateUserAsync(this LanyardFactory factory, Tenant tenant, string email, string? password = "correct horse battery")
    {
        await using var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id);
        var result = await scope.ServiceProvider.GetRequiredService<CreateUser>()
            .ExecuteAsync(new CreateUserRequest(email, password, Status: UserStatus.Active), CancellationToken.None);
        return Assert.IsType<CreateUserResult.Created>(result).User;
    }

    /// <summary>An access token of the Application Admin Client (client_credentials): every management and workflow permission.</summary>
    public static async Task<string> AdminTokenAsync(this LanyardFactory factory)
    {
        await factory.StartAsync();
        using var backend = factory.ClientFor(LanyardFactory.ApplicationHost);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/oauth2/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{factory.Bootstrap.AdminClientId}:{factory.Bootstrap.AdminClientSecret}")));
        using var response = await backend.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return body.GetProperty("access_token").GetString()!;
    }

    /// <summary>A client for <c>/api/v1</c> on the application host, authenticated as the Application Admin Client.</summary>
    public static async Task<HttpClient> AdminApiAsync(this LanyardFactory factory)
    {
        var token = await factory.AdminTokenAsync();
        var client = factory.ClientFor(LanyardFactory.ApplicationHost);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>
    /// Stores a policy row (settings as a JSON object, e.g. <c>{"verification":"EMAIL_VERIFICATION"}</c>): the application's
    /// when <paramref name="tenant"/> is null, else the tenant's own copy with its override toggle switched on.
    /// </summary>
    public static async Task SetPolicyAsync(this LanyardFactory factory, PolicyKind kind, string settingsJson, Tenant? tenant = null, string subKey = "")
    {
        await factory.StartAsync();
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId, tenant?.Id);
        var db = LanyardFactory.Db(scope);
        var time = scope.ServiceProvider.GetRequiredService<TimeProvider>();
        var existing = db.Policies.AsTracking().FirstOrDefault(p => p.TenantId == (tenant == null ? null : tenant.Id) && p.Kind == kind && p.SubKey == subKey);
        if (existing is null)
        {
            db.Policies.Add(new Policy { Id = LanyardId.New(time), TenantId = tenant?.Id, Kind = kind, SubKey = subKey, Settings = settingsJson });
        }
        else
        {
            existing.Settings = settingsJson;
        }

        if (tenant is not null)
        {
            var toggle = db.PolicyOverrideToggles.AsTracking().FirstOrDefault(t => t.Kind == kind);
            if (toggle is null)
            {
                db.PolicyOverrideToggles.Add(new PolicyOverrideToggle { Id = LanyardId.New(time), Kind = kind, Enabled = true });
            }
            else
            {
                toggle.Enabled = true;
            }
        }

        await db.SaveChangesAsync();
    }
}
