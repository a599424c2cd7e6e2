using System.Net;
using System.Net.Http.Json;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Tenancy;

public abstract class HostResolutionTests(LanyardFactory factory)
{
    private sealed record Scope(string? ApplicationId, string? TenantId);

    [Fact]
    public async Task Application_host_resolves_to_the_application_without_a_tenant()
    {
        await factory.StartAsync();

        var scope = await factory.ClientFor(LanyardFactory.ApplicationHost).GetFromJsonAsync<Scope>("/_test/scope");

        Assert.Equal(new Scope(factory.Bootstrap.ApplicationId, null), scope);
    }

    [Theory]
    [InlineData("auth.localhost:5443")]
    [InlineData("AUTH.LOCALHOST")]
    [InlineData("auth.localhost.")]
    public async Task Application_host_matches_without_port_case_or_trailing_dot(string host)
    {
        await factory.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/_test/scope");
        request.Headers.Host = host;

        var response = await factory.ClientFor(LanyardFactory.ApplicationHost).SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(factory.Bootstrap.ApplicationId, (await response.Content.ReadFromJsonAsync<Scope>())!.ApplicationId);
    }

    [Fact]
    public async Task Tenant_host_resolves_to_that_tenant()
    {
        var tenant = await factory.CreateTenantAsync();

        var scope = await factory.ClientFor(LanyardFactory.TenantHost(tenant.Name)).GetFromJsonAsync<Scope>("/_test/scope");

        Assert.Equal(new Scope(factory.Bootstrap.ApplicationId, tenant.Id), scope);
    }

    [Fact]
    public async Task Tenant_host_is_case_insensitive()
    {
        var tenant = await factory.CreateTenantAsync("MixedCase" + Guid.NewGuid().ToString("N")[..6]);

        var scope = await factory.ClientFor(LanyardFactory.TenantHost(tenant.Name.ToUpperInvariant())).GetFromJsonAsync<Scope>("/_test/scope");

        Assert.Equal(tenant.Id, scope!.TenantId);
    }

    [Theory]
    [InlineData("nosuchtenant-auth.localhost")]      // tenant that does not exist
    [InlineData("evil.example.com")]                 // another domain entirely
    [InlineData("auth.localhost.evil.example.com")]  // our domain as a prefix of theirs
    [InlineData("x.demo-auth.localhost")]            // a deeper name under a real tenant host
    [InlineData("demo.auth.localhost")]              // the other host style than the application uses
    [InlineData("-auth.localhost")]                  // empty tenant label
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    public async Task Unknown_hosts_get_a_bare_404(string host)
    {
        await factory.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/_test/scope");
        request.Headers.Host = host;

        var response = await factory.ClientFor(LanyardFactory.ApplicationHost).SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Health_is_answered_on_any_host()
    {
        await factory.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        request.Headers.Host = "10.0.0.7:8080";

        var response = await factory.ClientFor(LanyardFactory.ApplicationHost).SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

public sealed class HostResolutionOnSqlite(SqliteLanyard factory) : HostResolutionTests(factory), IClassFixture<SqliteLanyard>;

public sealed class HostResolutionOnPostgres(PostgresLanyard factory) : HostResolutionTests(factory), IClassFixture<PostgresLanyard>;
