using System.Net;
using System.Text.Json;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Roles;

/// <summary>Custom claims: configured per application, carried by both tokens and userinfo, refreshed with the user's data.</summary>
public abstract class CustomClaimsTests(LanyardFactory factory)
{
    private readonly RbacKit _kit = new(factory);

    private string Path => $"/api/v1/applications/{_kit.ApplicationId}/token-claims";

    [Fact]
    public async Task Tokens_and_userinfo_carry_the_mapped_values_and_a_refresh_follows_changes()
    {
        var tenant = await factory.CreateTenantAsync();
        var user = await _kit.Roles.UserAsync(tenant);
        await SetUserAsync(user.Id, tenant.Id, """{"plan":"gold","limits":{"seats":5}}""", """{"billing":{"tier":"enterprise"}}""", "Ada");
        var role = await _kit.Roles.RoleAsync(displayName: "Viewer");
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Put, $"/api/v1/users/{user.Id}/roles", new { roleIds = new[] { RbacKit.Id(role) } });

        // Without a configuration there is no custom_claims claim at all.
        await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Put, Path, new { customClaims = Array.Empty<object>() });
        var (plain, _) = await _kit.Flow.LoginAsync(_kit.Flow.DemoClient, tenant.Name, user.Email, RoleKit.AllScopes);
        Assert.False(RoleKit.Payload(plain.AccessToken).TryGetProperty("custom_claims", out _));

        var saved = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Put, Path, new
        {
            customClaims = new object[]
            {
                new { name = "plan", source = "publicMetadata.plan" },
                new { name = "seats", source = "publicMetadata.limits.seats" },
                new { name = "tier", source = "restrictedMetadata.billing.tier" },
                new { name = "first_name", source = "givenName" },
                new { name = "verified", source = "emailVerified" },
                new { name = "nick", source = "nickname" },
                new { name = "missing", source = "publicMetadata.nothing.here" },
            },
        });
        Assert.Equal(7, saved.GetProperty("customClaims").GetArrayLength());
        var read = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, Path);
        Assert.Equal(saved.GetProperty("customClaims").GetRawText(), read.GetProperty("customClaims").GetRawText());

        var (tokens, _) = await _kit.Flow.LoginAsync(_kit.Flow.DemoClient, tenant.Name, user.Email, RoleKit.AllScopes);
        var expected = """{"plan":"gold","seats":5,"tier":"enterprise","first_name":"Ada","verified":false}""";
        Assert.Equal(expected, Custom(RoleKit.Payload(tokens.AccessToken)));
        Assert.Equal(expected, Custom(RoleKit.Payload(tokens.IdToken!)));
        using (var info = await _kit.Flow.UserinfoAsync(tokens.AccessToken))
        {
            var claims = await RoleKit.BodyAsync(info);
            Assert.Equal(expected, Custom(claims));
            var roleClaim = claims.GetProperty("roles").EnumerateArray().Single();
            Assert.Equal(["display_name", "id", "name"], roleClaim.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        }

        // The user's data and roles change: the next refreshed tokens carry the change.
        await SetUserAsync(user.Id, tenant.Id, """{"plan":"silver"}""", null, "Ada");
        var second = await _kit.Roles.RoleAsync(displayName: "Editor");
        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Put, $"/api/v1/users/{user.Id}/roles", new { roleIds = new[] { RbacKit.Id(second) } });
        var refreshed = await OAuthFlow.ReadTokensAsync(await _kit.Flow.RefreshAsync(_kit.Flow.DemoClient, tokens.RefreshToken!));
        var access = RoleKit.Payload(refreshed.AccessToken);
        Assert.Equal("""{"plan":"silver","first_name":"Ada","verified":false}""", Custom(access));
        Assert.Equal([second.GetProperty("name").GetString()!], RoleKit.RoleNames(access)!);
        Assert.Equal([second.GetProperty("name").GetString()!], RoleKit.RoleNames(RoleKit.Payload(refreshed.IdToken!))!);

        // Client-credentials tokens are no user's: they never carry custom claims.
        var machine = await _kit.Roles.ClientTokenAsync(await _kit.Roles.MachineClientAsync());
        Assert.False(RoleKit.Payload(machine).TryGetProperty("custom_claims", out _));
    }

    [Fact]
    public async Task The_configuration_is_validated_and_application_wide()
    {
        var tenant = await factory.CreateTenantAsync();
        Task<string[]> Violations(object body, string field) => _kit.ViolationsAsync(HttpMethod.Put, Path, body, field);

        Assert.Equal(["required"], await Violations(new { }, "customClaims"));
        Assert.Equal(["invalid_value"], await Violations(new { customClaims = "plan" }, "customClaims"));
        Assert.Equal(["too_long"], await Violations(new { customClaims = Enumerable.Range(0, 26).Select(i => new { name = $"c{i}", source = "email" }).ToArray() }, "customClaims"));
        Assert.Equal(["required"], await Violations(new { customClaims = new[] { new { source = "email" } } }, "customClaims[0].name"));
        Assert.Equal(["invalid_format"], await Violations(new { customClaims = new[] { new { name = "1st", source = "email" } } }, "customClaims[0].name"));
        Assert.Equal(["invalid_format"], await Violations(new { customClaims = new[] { new { name = new string('n', 65), source = "email" } } }, "customClaims[0].name"));
        Assert.Equal(["not_unique"], await Violations(new { customClaims = new[] { new { name = "a", source = "email" }, new { name = "a", source = "locale" } } }, "customClaims[1].name"));
        Assert.Equal(["required"], await Violations(new { customClaims = new[] { new { name = "a" } } }, "customClaims[0].source"));
        Assert.Equal(["invalid_value"], await Violations(new { customClaims = new[] { new { name = "a", source = "passwordHash" } } }, "customClaims[0].source"));
        Assert.Equal(["invalid_value"], await Violations(new { customClaims = new[] { new { name = "a", source = "publicMetadata..x" } } }, "customClaims[0].source"));
        Assert.Equal(["invalid_value"], await Violations(new { customClaims = new[] { new { name = "a", source = "publicMetadata.a.b.c.d.e.f" } } }, "customClaims[0].source"));

        var (_, user, _) = await _kit.Roles.UserApiAsync(tenant, "application:read", "application:write");
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await _kit.ErrorAsync(HttpMethod.Get, Path, api: user));
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await _kit.ErrorAsync(HttpMethod.Put, Path, new { customClaims = Array.Empty<object>() }, user));
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await _kit.ErrorAsync(HttpMethod.Get, Path, api: await _kit.ClientApiAsync(null, "application:write")));
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid_token"), await _kit.ErrorAsync(HttpMethod.Get, Path, api: _kit.Roles.Bearer(null)));
        Assert.Equal((HttpStatusCode.NotFound, "application_not_found"), await _kit.ErrorAsync(HttpMethod.Get, "/api/v1/applications/otherapp/token-claims"));
    }

    private static string Custom(JsonElement claims) => claims.GetProperty("custom_claims").GetRawText();

    /// <summary>Sets the user's metadata and given name directly: the user API is another feature's.</summary>
    private async Task SetUserAsync(string userId, string tenantId, string publicMetadata, string? restrictedMetadata, string givenName)
    {
        await using var scope = factory.ScopeFor(_kit.ApplicationId, tenantId);
        var db = LanyardFactory.Db(scope);
        var user = await db.Users.AsTracking().SingleAsync(u => u.Id == userId);
        user.PublicMetadata = publicMetadata;
        user.RestrictedMetadata = restrictedMetadata;
        user.GivenName = givenName;
        await db.SaveChangesAsync();
    }
}

public sealed class CustomClaimsOnSqlite(SqliteLanyard factory) : CustomClaimsTests(factory), IClassFixture<SqliteLanyard>;

public sealed class CustomClaimsOnPostgres(PostgresLanyard factory) : CustomClaimsTests(factory), IClassFixture<PostgresLanyard>;
