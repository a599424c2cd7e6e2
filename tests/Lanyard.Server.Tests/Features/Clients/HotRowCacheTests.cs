using System.Net;
using Lanyard.Server.Tests.Features.Roles;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Clients;

/// <summary>
/// The per-node cache of applications and clients (ADR 0009): a change made through this node is seen by the
/// very next request, a change made behind its back (another node) within the cache lifetime, never later.
/// </summary>
public abstract class HotRowCacheTests(LanyardFactory factory)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5); // Lanyard:Caching:HotRowLifetimeSeconds default
    private readonly RbacKit _kit = new(factory);

    [Fact]
    public async Task A_deleted_client_is_refused_at_once_although_it_was_just_cached()
    {
        await factory.StartAsync();
        var (id, secret) = await CreateMachineClientAsync("Cached then deleted");
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync(id, secret)); // now in the cache

        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/api/v1/clients/{id}");
        Assert.Equal(HttpStatusCode.Unauthorized, await TokenStatusAsync(id, secret));
    }

    [Fact]
    public async Task A_secret_changed_on_another_node_stops_working_here_within_the_cache_lifetime()
    {
        await factory.StartAsync();
        var (id, secret) = await CreateMachineClientAsync("Rotated elsewhere");
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync(id, secret));

        // Another node's write: straight to the table, past this node's save interceptor.
        await using (var scope = factory.ScopeFor(_kit.ApplicationId))
        {
            var changed = await LanyardFactory.Db(scope).Clients.Where(c => c.Id == id)
                .ExecuteUpdateAsync(u => u.SetProperty(c => c.SecretHash, "hmac-sha256$00"), TestContext.Current.CancellationToken);
            Assert.Equal(1, changed);
        }

        factory.Time.Advance(Lifetime);
        Assert.Equal(HttpStatusCode.Unauthorized, await TokenStatusAsync(id, secret));
    }

    [Fact]
    public async Task A_redirect_uri_removed_through_the_api_is_refused_by_the_next_authorization_request()
    {
        await factory.StartAsync();
        const string Kept = "https://localhost:7101/cb", Removed = "https://localhost:7102/cb";
        using var created = await _kit.SendAsync(HttpMethod.Post, "/api/v1/clients", new { type = "BACKEND_SERVER", name = "Cached redirects", redirectUris = new[] { Kept, Removed } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = RbacKit.Id(await RoleKit.BodyAsync(created));
        using var browser = _kit.Flow.Browser((await factory.CreateTenantAsync()).Name);
        Assert.Equal(HttpStatusCode.Redirect, await AuthorizeStatusAsync(browser, id, Removed)); // now in the cache

        await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/api/v1/clients/{id}", new { redirectUris = new[] { Kept } });
        Assert.Equal(HttpStatusCode.BadRequest, await AuthorizeStatusAsync(browser, id, Removed));
        Assert.Equal(HttpStatusCode.Redirect, await AuthorizeStatusAsync(browser, id, Kept));
    }

    [Fact]
    public async Task An_application_change_is_seen_by_the_next_request()
    {
        await factory.StartAsync();
        var before = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/applications/{_kit.ApplicationId}");
        var renamed = before.GetProperty("displayName").GetString() + " renamed";

        await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/api/v1/applications/{_kit.ApplicationId}", new { displayName = renamed });
        var after = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/applications/{_kit.ApplicationId}");
        Assert.Equal(renamed, after.GetProperty("displayName").GetString());
        Assert.Equal(before.GetProperty("metadata").GetProperty("version").GetInt64() + 1, after.GetProperty("metadata").GetProperty("version").GetInt64());
    }

    private async Task<(string Id, string Secret)> CreateMachineClientAsync(string name)
    {
        using var response = await _kit.SendAsync(HttpMethod.Post, "/api/v1/clients", new { type = "MACHINE_TO_MACHINE", name });
        var json = await RoleKit.BodyAsync(response);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (RbacKit.Id(json), json.GetProperty("secret").GetString()!);
    }

    private static async Task<HttpStatusCode> AuthorizeStatusAsync(HttpClient browser, string clientId, string redirectUri)
    {
        var (_, challenge) = OAuthFlow.NewPkce();
        using var response = await browser.GetAsync(new Uri(OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(new TestClient(clientId, null, redirectUri), challenge)), UriKind.Relative));
        return response.StatusCode;
    }

    private async Task<HttpStatusCode> TokenStatusAsync(string clientId, string secret)
    {
        using var response = await _kit.Flow.TokenRequestAsync(new TestClient(clientId, secret, ""), new Dictionary<string, string> { ["grant_type"] = "client_credentials" });
        return response.StatusCode;
    }
}

public sealed class HotRowCacheOnSqlite(SqliteLanyard factory) : HotRowCacheTests(factory), IClassFixture<SqliteLanyard>;

public sealed class HotRowCacheOnPostgres(PostgresLanyard factory) : HotRowCacheTests(factory), IClassFixture<PostgresLanyard>;
