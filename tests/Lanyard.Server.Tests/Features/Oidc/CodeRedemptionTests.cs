using System.Net;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Users;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Oidc;

/// <summary>Authorization codes: single use, replay revokes, atomic under concurrency, short-lived, bound (items 5, 11–17, 21).</summary>
public abstract class CodeRedemptionTests(LanyardFactory factory)
{
    private readonly OAuthFlow _flow = new(factory);

    private async Task<(TestClient Client, string Code, string Verifier)> CodeAsync(string? email = null)
    {
        await factory.StartAsync();
        var client = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var (verifier, challenge) = OAuthFlow.NewPkce();
        string tenantName = factory.Bootstrap.DemoTenantName, identifier = factory.Bootstrap.DemoUserEmail, password = factory.Bootstrap.DemoUserPassword;
        if (email is not null)
        {
            var tenant = await factory.CreateTenantAsync();
            await factory.CreateUserAsync(tenant, email);
            (tenantName, identifier, password) = (tenant.Name, email, OAuthFlow.TestPassword);
        }

        var callback = await _flow.AuthorizeAsync(_flow.Browser(tenantName), OAuthFlow.AuthorizeParameters(client, challenge), identifier, password);
        return (client, OAuthFlow.Query(callback)["code"], verifier);
    }

    [Fact]
    public async Task A_replayed_code_fails_and_revokes_what_the_first_redemption_issued()
    {
        var (client, code, verifier) = await CodeAsync();
        var first = await OAuthFlow.ReadTokensAsync(await _flow.RedeemAsync(client, code, verifier));
        Assert.Equal(HttpStatusCode.OK, (await _flow.UserinfoAsync(first.AccessToken)).StatusCode);

        var replay = await _flow.RedeemAsync(client, code, verifier);

        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal("invalid_grant", await OAuthFlow.ReadErrorAsync(replay));
        Assert.Equal(HttpStatusCode.Unauthorized, (await _flow.UserinfoAsync(first.AccessToken)).StatusCode);
        Assert.Equal("invalid_grant", await OAuthFlow.ReadErrorAsync(await _flow.RefreshAsync(client, first.RefreshToken!)));
    }

    [Fact]
    public async Task Twenty_parallel_redemptions_of_one_code_yield_exactly_one_success_and_no_server_error()
    {
        var (client, code, verifier) = await CodeAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => _flow.RedeemAsync(client, code, verifier)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Equal(19, responses.Count(r => r.StatusCode == HttpStatusCode.BadRequest));
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
        {
            Assert.Equal("invalid_grant", await OAuthFlow.ReadErrorAsync(refused));
        }
    }

    [Fact]
    public async Task A_code_expires_after_its_lifetime()
    {
        var (client, code, verifier) = await CodeAsync();
        factory.Time.Advance(TimeSpan.FromSeconds(61));

        Assert.Equal("invalid_grant", await OAuthFlow.ReadErrorAsync(await _flow.RedeemAsync(client, code, verifier)));
    }

    [Fact]
    public async Task A_code_is_bound_to_the_client_it_was_issued_to()
    {
        var (_, code, verifier) = await CodeAsync();
        var other = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");

        Assert.Equal("invalid_grant", await OAuthFlow.ReadErrorAsync(await _flow.RedeemAsync(other, code, verifier)));
    }

    [Fact]
    public async Task The_token_request_must_repeat_the_exact_redirect_uri()
    {
        var (client, code, verifier) = await CodeAsync();

        var response = await _flow.RedeemAsync(client, code, verifier, "https://app.example/cb/");

        Assert.Equal("invalid_grant", await OAuthFlow.ReadErrorAsync(response));
    }

    [Theory]
    [InlineData("wrong")]
    [InlineData("missing")]
    [InlineData("short")]
    public async Task A_wrong_missing_or_malformed_verifier_fails(string kind)
    {
        var (client, code, verifier) = await CodeAsync();
        var form = new Dictionary<string, string> { ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = client.RedirectUri };
        if (kind != "missing")
        {
            form["code_verifier"] = kind == "wrong" ? OAuthFlow.NewPkce().Verifier : verifier[..20];
        }

        Assert.Equal("invalid_grant", await OAuthFlow.ReadErrorAsync(await _flow.TokenRequestAsync(client, form)));
    }

    [Fact]
    public async Task A_failed_verifier_does_not_spend_the_code()
    {
        var (client, code, verifier) = await CodeAsync();
        await _flow.RedeemAsync(client, code, OAuthFlow.NewPkce().Verifier);

        Assert.Equal(HttpStatusCode.OK, (await _flow.RedeemAsync(client, code, verifier)).StatusCode);
    }

    [Fact]
    public async Task A_user_deactivated_after_login_cannot_redeem_the_code()
    {
        var email = $"leaver-{Guid.NewGuid():N}@example.com";
        var (client, code, verifier) = await CodeAsync(email);
        await using (var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId))
        {
            var user = await LanyardFactory.Db(scope).Users.IgnoreQueryFilters().AsTracking().SingleAsync(u => u.NormalizedEmail == email);
            await using var tenantScope = factory.ScopeFor(user.ApplicationId, user.TenantId);
            var db = LanyardFactory.Db(tenantScope);
            await db.Users.Where(u => u.Id == user.Id).ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, UserStatus.Inactive));
        }

        Assert.Equal("invalid_grant", await OAuthFlow.ReadErrorAsync(await _flow.RedeemAsync(client, code, verifier)));
    }

    [Fact]
    public async Task Codes_and_refresh_tokens_are_stored_only_as_hashes()
    {
        var (client, code, verifier) = await CodeAsync();
        var tokens = await OAuthFlow.ReadTokensAsync(await _flow.RedeemAsync(client, code, verifier));

        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId);
        var db = LanyardFactory.Db(scope);
        Assert.False(await db.AuthorizationCodes.AnyAsync(c => c.CodeHash == code));
        Assert.False(await db.RefreshTokens.AnyAsync(t => t.TokenHash == tokens.RefreshToken));
        Assert.True(await db.RefreshTokens.AnyAsync(t => t.TokenHash == Lanyard.Server.Common.OpaqueToken.Hash(tokens.RefreshToken!)));
    }
}

public sealed class CodeRedemptionOnSqlite(SqliteLanyard factory) : CodeRedemptionTests(factory), IClassFixture<SqliteLanyard>;

public sealed class CodeRedemptionOnPostgres(PostgresLanyard factory) : CodeRedemptionTests(factory), IClassFixture<PostgresLanyard>;
