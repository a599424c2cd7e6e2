using System.Net;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Tenants;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Policies;

/// <summary>
/// This node's copy of the policy rows (ADR 0009, <c>PolicyDirectory</c>): a policy or override toggle changed
/// through this node is in force for the very next page, a row changed behind its back (another node) within the
/// cache lifetime, never later; and one tenant's copy never answers for another.
/// </summary>
public abstract class PolicyCacheTests(LanyardFactory factory) : IAsyncLifetime
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5); // Lanyard:Caching:HotRowLifetimeSeconds default
    private readonly PolicyApiKit _kit = new(factory);
    private readonly OAuthFlow _flow = new(factory);

    public async ValueTask InitializeAsync()
    {
        factory.RequireDatabase();
        await factory.StartAsync();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task An_application_policy_saved_through_the_api_is_in_force_for_the_next_page()
    {
        var tenant = await factory.CreateTenantAsync();
        await SetApplicationBrandingAsync("#0a0b0c");
        Assert.Contains("--primary:#0a0b0c;", await BrandingCssAsync(tenant), StringComparison.Ordinal); // now in the cache

        await SetApplicationBrandingAsync("#1a1b1c");
        Assert.Contains("--primary:#1a1b1c;", await BrandingCssAsync(tenant), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tenant_override_switched_through_the_api_is_in_force_for_the_next_page_of_that_tenant_only()
    {
        var tenant = await factory.CreateTenantAsync();
        var neighbour = await factory.CreateTenantAsync();
        Assert.DoesNotContain("#2a2b2c", await BrandingCssAsync(tenant), StringComparison.Ordinal);
        Assert.DoesNotContain("#2a2b2c", await BrandingCssAsync(neighbour), StringComparison.Ordinal); // both tenants cached

        await _kit.PostOkAsync("/api/v1/page-brandings", PolicyApiKit.Body("TENANT", tenant.Id, new { primaryButtonBackgroundColor = "#2a2b2c" }), HttpStatusCode.Created);
        Assert.DoesNotContain("#2a2b2c", await BrandingCssAsync(tenant), StringComparison.Ordinal); // a copy is not in force until its toggle is on
        await ToggleAsync(tenant, "ENABLED");
        Assert.Contains("--primary:#2a2b2c;", await BrandingCssAsync(tenant), StringComparison.Ordinal);
        Assert.DoesNotContain("#2a2b2c", await BrandingCssAsync(neighbour), StringComparison.Ordinal);

        await ToggleAsync(tenant, "DISABLED");
        Assert.DoesNotContain("#2a2b2c", await BrandingCssAsync(tenant), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_policy_changed_on_another_node_is_in_force_here_within_the_cache_lifetime()
    {
        var tenant = await factory.CreateTenantAsync();
        await SetApplicationBrandingAsync("#3a3b3c");
        Assert.Contains("--primary:#3a3b3c;", await BrandingCssAsync(tenant), StringComparison.Ordinal);

        // Another node's write: straight to the table, past this node's save interceptor.
        await using (var scope = factory.ScopeFor(_kit.ApplicationId))
        {
            var changed = await LanyardFactory.Db(scope).Policies.Where(p => p.TenantId == null && p.Kind == PolicyKind.PageBranding)
                .ExecuteUpdateAsync(u => u.SetProperty(p => p.Settings, """{"primaryButtonBackgroundColor":"#4a4b4c"}"""), TestContext.Current.CancellationToken);
            Assert.Equal(1, changed);
        }

        // The window ADR 0009 accepts: this node answers from its copy until the lifetime has passed, never longer.
        Assert.Contains("--primary:#3a3b3c;", await BrandingCssAsync(tenant), StringComparison.Ordinal);
        factory.Time.Advance(Lifetime);
        Assert.Contains("--primary:#4a4b4c;", await BrandingCssAsync(tenant), StringComparison.Ordinal);
    }

    private async Task SetApplicationBrandingAsync(string colour)
    {
        using var response = await _kit.PostAsync("/api/v1/page-brandings?upsert=true",
            PolicyApiKit.Body("APPLICATION", _kit.ApplicationId, new { primaryButtonBackgroundColor = colour }));
        Assert.True(response.IsSuccessStatusCode, $"page-branding upsert: {(int)response.StatusCode}");
    }

    private async Task ToggleAsync(Tenant tenant, string status)
    {
        using var response = await _kit.ToggleAsync(tenant, status, "page-branding");
        Assert.True(response.IsSuccessStatusCode, $"page-branding toggle: {(int)response.StatusCode}");
    }

    private async Task<string> BrandingCssAsync(Tenant tenant) => (await PolicyApiKit.LoginPageAsync(_flow, tenant)).Css;
}

public sealed class PolicyCacheOnSqlite(SqliteLanyard factory) : PolicyCacheTests(factory), IClassFixture<SqliteLanyard>;

public sealed class PolicyCacheOnPostgres(PostgresLanyard factory) : PolicyCacheTests(factory), IClassFixture<PostgresLanyard>;
