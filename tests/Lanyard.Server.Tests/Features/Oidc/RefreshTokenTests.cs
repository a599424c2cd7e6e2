using System.Net;
using System.Text.Json;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Users;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Oidc;

/// <summary>The refresh token grant: rotation and reuse detection, scope, client binding, idle and absolute lifetimes.</summary>
public abstract class RefreshTokenTests(LanyardFactory factory)
{
    private readonly OAuthFlow _flow = new(factory);

    private sealed record Login(TestClient Client, TokenResponse Tokens, string TenantId, string UserId);

    private async Task<Login> LoginAsync(OAuthClientType type, string scope = "openid offline_access email")
    {
        await factory.StartAsync();
        var client = await _flow.CreateClientAsync(type, "https://app.example/cb");
        var tenant = await factory.CreateTenantAsync();
        var email = $"r{Guid.NewGuid():N}@example.com";
        var user = await factory.CreateUserAsync(tenant, email);
        var (tokens, _) = await _flow.LoginAsync(client, tenant.Name, email, scope);
        Assert.NotNull(tokens.RefreshToken);
        return new Login(client, tokens, tenant.Id, user.Id);
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string error = "invalid_grant")
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(error, await OAuthFlow.ReadErrorAsync(response));
    }

    private async Task<string> RotateAsync(TestClient client, string refreshToken)
    {
        var next = (await OAuthFlow.ReadTokensAsync(await _flow.RefreshAsync(client, refreshToken))).RefreshToken!;
        Assert.NotEqual(refreshToken, next);
        return next;
    }

    [Fact]
    public async Task Backend_client_gets_the_same_refresh_token_back_and_it_keeps_working()
    {
        var login = await LoginAsync(OAuthClientType.BackendServer);

        var first = await _flow.RefreshAsync(login.Client, login.Tokens.RefreshToken!);
        using (var raw = JsonDocument.Parse(await first.Content.ReadAsStringAsync()))
        {
            foreach (var key in new[] { "access_token", "token_type", "expires_in", "refresh_token", "id_token", "scope" })
            {
                Assert.True(raw.RootElement.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null, key);
            }
        }

        var firstTokens = await OAuthFlow.ReadTokensAsync(first);
        Assert.Equal(login.Tokens.RefreshToken, firstTokens.RefreshToken);
        Assert.NotEqual(login.Tokens.AccessToken, firstTokens.AccessToken);
        var second = await OAuthFlow.ReadTokensAsync(await _flow.RefreshAsync(login.Client, login.Tokens.RefreshToken!));
        Assert.Equal(login.Tokens.RefreshToken, second.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, (await _flow.UserinfoAsync(second.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task Rotating_client_gets_a_new_refresh_token_and_the_new_one_works()
    {
        var login = await LoginAsync(OAuthClientType.Spa);

        var r2 = await RotateAsync(login.Client, login.Tokens.RefreshToken!);
        var r3 = await RotateAsync(login.Client, r2);

        Assert.NotEqual(login.Tokens.RefreshToken, r3);
    }

    [Fact]
    public async Task Rotated_token_reused_after_the_leeway_revokes_the_whole_family()
    {
        var login = await LoginAsync(OAuthClientType.Spa);
        var r1 = login.Tokens.RefreshToken!;
        var second = await OAuthFlow.ReadTokensAsync(await _flow.RefreshAsync(login.Client, r1));
        Assert.Equal(HttpStatusCode.OK, (await _flow.UserinfoAsync(second.AccessToken)).StatusCode);
        factory.Time.Advance(TimeSpan.FromSeconds(11));

        await AssertRefusedAsync(await _flow.RefreshAsync(login.Client, r1));

        await AssertRefusedAsync(await _flow.RefreshAsync(login.Client, second.RefreshToken!));
        Assert.Equal(HttpStatusCode.Unauthorized, (await _flow.UserinfoAsync(second.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task Immediate_predecessor_reused_within_the_leeway_is_refused_without_revoking()
    {
        var login = await LoginAsync(OAuthClientType.Spa);
        var r1 = login.Tokens.RefreshToken!;
        var r2 = await RotateAsync(login.Client, r1);
        factory.Time.Advance(TimeSpan.FromSeconds(2));

        await AssertRefusedAsync(await _flow.RefreshAsync(login.Client, r1));

        await RotateAsync(login.Client, r2);
    }

    [Fact]
    public async Task Older_ancestor_reused_within_the_leeway_revokes_the_whole_family()
    {
        var login = await LoginAsync(OAuthClientType.Spa);
        var r1 = login.Tokens.RefreshToken!;
        var r2 = await RotateAsync(login.Client, r1);
        factory.Time.Advance(TimeSpan.FromSeconds(1));
        var third = await OAuthFlow.ReadTokensAsync(await _flow.RefreshAsync(login.Client, r2));
        factory.Time.Advance(TimeSpan.FromSeconds(1));

        await AssertRefusedAsync(await _flow.RefreshAsync(login.Client, r1));

        await AssertRefusedAsync(await _flow.RefreshAsync(login.Client, third.RefreshToken!));
        Assert.Equal(HttpStatusCode.Unauthorized, (await _flow.UserinfoAsync(third.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task Parallel_refreshes_of_one_rotating_token_yield_exactly_one_success()
    {
        var login = await LoginAsync(OAuthClientType.Spa);

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => _flow.RefreshAsync(login.Client, login.Tokens.RefreshToken!)));

        var winner = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        foreach (var loser in responses.Where(r => r != winner))
        {
            await AssertRefusedAsync(loser);
        }

        var next = (await OAuthFlow.ReadTokensAsync(winner)).RefreshToken!;
        await RotateAsync(login.Client, next);
    }

    [Fact]
    public async Task Refresh_asking_for_a_scope_not_granted_is_invalid_scope()
    {
        var login = await LoginAsync(OAuthClientType.BackendServer);

        var response = await _flow.TokenRequestAsync(login.Client, new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = login.Tokens.RefreshToken!,
            ["scope"] = "openid email profile",
        });

        await AssertRefusedAsync(response, "invalid_scope");
    }

    [Fact]
    public async Task Refresh_narrowing_the_scope_issues_tokens_for_the_narrower_scope()
    {
        var login = await LoginAsync(OAuthClientType.BackendServer);

        var narrowed = await OAuthFlow.ReadTokensAsync(await _flow.TokenRequestAsync(login.Client, new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = login.Tokens.RefreshToken!,
            ["scope"] = "openid",
        }));

        Assert.Equal("openid", narrowed.Scope);
        var userinfo = await _flow.UserinfoAsync(narrowed.AccessToken);
        Assert.Equal(HttpStatusCode.OK, userinfo.StatusCode);
        using var claims = JsonDocument.Parse(await userinfo.Content.ReadAsStringAsync());
        Assert.False(claims.RootElement.TryGetProperty("email", out _));
    }

    [Fact]
    public async Task Refresh_token_of_another_client_is_invalid_grant()
    {
        var login = await LoginAsync(OAuthClientType.BackendServer);
        var other = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");

        await AssertRefusedAsync(await _flow.RefreshAsync(other, login.Tokens.RefreshToken!));
    }

    [Fact]
    public async Task Refresh_fails_once_the_absolute_lifetime_has_passed_however_often_it_is_used()
    {
        var login = await LoginAsync(OAuthClientType.BackendServer);
        for (var day = 20; day <= 80; day += 20)
        {
            factory.Time.Advance(TimeSpan.FromDays(20));
            Assert.Equal(HttpStatusCode.OK, (await _flow.RefreshAsync(login.Client, login.Tokens.RefreshToken!)).StatusCode);
        }

        factory.Time.Advance(TimeSpan.FromDays(9));
        Assert.Equal(HttpStatusCode.OK, (await _flow.RefreshAsync(login.Client, login.Tokens.RefreshToken!)).StatusCode);
        factory.Time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));

        await AssertRefusedAsync(await _flow.RefreshAsync(login.Client, login.Tokens.RefreshToken!));
    }

    [Fact]
    public async Task Rotating_refresh_fails_once_the_absolute_lifetime_has_passed()
    {
        var login = await LoginAsync(OAuthClientType.Spa);
        var token = login.Tokens.RefreshToken!;
        for (var day = 20; day <= 80; day += 20)
        {
            factory.Time.Advance(TimeSpan.FromDays(20));
            token = await RotateAsync(login.Client, token);
        }

        factory.Time.Advance(TimeSpan.FromDays(20));

        await AssertRefusedAsync(await _flow.RefreshAsync(login.Client, token));
    }

    [Fact]
    public async Task Refresh_token_unused_past_the_idle_lifetime_is_invalid_grant()
    {
        var login = await LoginAsync(OAuthClientType.BackendServer);
        // Use within the idle window slides it: 29 + 29 days is fine, then 31 days unused is not.
        factory.Time.Advance(TimeSpan.FromDays(29));
        Assert.Equal(HttpStatusCode.OK, (await _flow.RefreshAsync(login.Client, login.Tokens.RefreshToken!)).StatusCode);
        factory.Time.Advance(TimeSpan.FromDays(29));
        Assert.Equal(HttpStatusCode.OK, (await _flow.RefreshAsync(login.Client, login.Tokens.RefreshToken!)).StatusCode);
        factory.Time.Advance(TimeSpan.FromDays(31));

        await AssertRefusedAsync(await _flow.RefreshAsync(login.Client, login.Tokens.RefreshToken!));
    }

    [Fact]
    public async Task Refresh_for_a_deactivated_user_is_invalid_grant()
    {
        var login = await LoginAsync(OAuthClientType.BackendServer);
        Assert.Equal(HttpStatusCode.OK, (await _flow.RefreshAsync(login.Client, login.Tokens.RefreshToken!)).StatusCode);
        await using (var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId, login.TenantId))
        {
            var updated = await LanyardFactory.Db(scope).Users.Where(u => u.Id == login.UserId)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, UserStatus.Inactive));
            Assert.Equal(1, updated);
        }

        await AssertRefusedAsync(await _flow.RefreshAsync(login.Client, login.Tokens.RefreshToken!));
    }

    [Fact]
    public async Task Older_ancestor_reused_when_both_rotations_share_a_timestamp_still_revokes_the_family()
    {
        // Two rotations within one clock reading (a coarse clock, or nodes whose clocks disagree) must not
        // make the grandparent look like the immediate predecessor: ancestry is a chain, not a time order.
        var login = await LoginAsync(OAuthClientType.Spa);
        var r1 = login.Tokens.RefreshToken!;
        var r2 = await RotateAsync(login.Client, r1);
        var third = await OAuthFlow.ReadTokensAsync(await _flow.RefreshAsync(login.Client, r2));

        await AssertRefusedAsync(await _flow.RefreshAsync(login.Client, r1));

        await AssertRefusedAsync(await _flow.RefreshAsync(login.Client, third.RefreshToken!));
    }
}

public sealed class RefreshTokenOnSqlite(SqliteLanyard factory) : RefreshTokenTests(factory), IClassFixture<SqliteLanyard>;

public sealed class RefreshTokenOnPostgres(PostgresLanyard factory) : RefreshTokenTests(factory), IClassFixture<PostgresLanyard>;
