using System.Net;
using System.Net.Http.Json;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Tenancy;

/// <summary>An application whose tenants live at <c>{tenant}.{domain}</c>, and tenant custom domains.</summary>
public abstract class DotStyleAndCustomDomainTests(LanyardFactory factory)
{
    private sealed record Scope(string? ApplicationId, string? TenantId);

    private async Task StartDotStyleAsync()
    {
        factory.With("Lanyard:Application:TenantHostStyle", ".");
        await factory.StartAsync();
    }

    [Fact]
    public async Task Dot_style_tenant_host_resolves_and_dash_style_does_not()
    {
        await StartDotStyleAsync();
        var tenant = await factory.CreateTenantAsync();

        var dot = await factory.ClientFor($"{tenant.Name}.{LanyardFactory.ApplicationHost}").GetFromJsonAsync<Scope>("/_test/scope");
        var dash = await factory.ClientFor(LanyardFactory.TenantHost(tenant.Name)).GetAsync("/_test/scope");

        Assert.Equal(tenant.Id, dot!.TenantId);
        Assert.Equal(HttpStatusCode.NotFound, dash.StatusCode);
        Assert.Equal(".", factory.Bootstrap.TenantHostStyle);
    }

    [Fact]
    public async Task Custom_domain_resolves_only_once_verified()
    {
        await StartDotStyleAsync();
        var tenant = await factory.CreateTenantAsync();
        var domain = $"login.{tenant.Name}.example.com";
        await SetCustomDomainAsync(tenant.Id, domain, verified: false);

        var before = await factory.ClientFor(domain).GetAsync("/_test/scope");
        await SetCustomDomainAsync(tenant.Id, domain, verified: true);
        var after = await factory.ClientFor(domain).GetFromJsonAsync<Scope>("/_test/scope");

        Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        Assert.Equal(tenant.Id, after!.TenantId);
    }

    private async Task SetCustomDomainAsync(string tenantId, string domain, bool verified)
    {
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId);
        var db = LanyardFactory.Db(scope);
        var tenant = await db.Tenants.AsTracking().SingleAsync(t => t.Id == tenantId);
        tenant.CustomDomain = domain;
        tenant.CustomDomainVerified = verified;
        await db.SaveChangesAsync();
    }
}

public sealed class DotStyleAndCustomDomainOnSqlite(SqliteLanyard factory) : DotStyleAndCustomDomainTests(factory), IClassFixture<SqliteLanyard>;

public sealed class DotStyleAndCustomDomainOnPostgres(PostgresLanyard factory) : DotStyleAndCustomDomainTests(factory), IClassFixture<PostgresLanyard>;
