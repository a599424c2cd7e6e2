using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Tenants;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Oidc;

/// <summary>
/// Post-logout redirects bound to exact registered URLs and to a verified id_token_hint (item 7), unsigned hints
/// (43), tokens and hints of one tenant at another tenant's host, and how userinfo takes its bearer token (47).
/// </summary>
public abstract class HintAndUserinfoTests(LanyardFactory factory)
{
    private readonly OAuthFlow _flow = new(factory);

    private sealed record Login(TestClient Client, Tenant Tenant, HttpClient Browser, TokenResponse Tokens);

    private async Task<Login> LoginAsync()
    {
        await factory.StartAsync();
        var client = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb", loginUrl: "https://app.example/login");
        var tenant = await factory.CreateTenantAsync();
        var email = $"g{Guid.NewGuid():N}@example.com";
        await factory.CreateUserAsync(tenant, email);
        var browser = _flow.Browser(tenant.Name);
        var (tokens, _) = await _flow.LoginAsync(client, tenant.Name, email, browser: browser);
        return new Login(client, tenant, browser, tokens);
    }

    private async Task<string> RegisterLogoutUrlAsync()
    {
        var url = $"https://app.example/signed-out/{Guid.NewGuid():N}";
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId);
        var db = LanyardFactory.Db(scope);
        var application = await db.Applications.AsTracking().SingleAsync(a => a.Id == factory.Bootstrap.ApplicationId);
        application.LogoutUrls = [.. application.LogoutUrls, url];
        await db.SaveChangesAsync();
        return url;
    }

    private static string Segment(string json) => Base64Url.Encode(Encoding.UTF8.GetBytes(json));

    /// <summary>The same claims with <c>alg: none</c> and no signature.</summary>
    private static string Unsigned(string jwt) => $"{Segment("""{"alg":"none","typ":"JWT"}""")}.{jwt.Split('.')[1]}.";

    private static string Forged(string jwt) => jwt[..^6] + (jwt.EndsWith("AAAAAA", StringComparison.Ordinal) ? "BBBBBB" : "AAAAAA");

    private static string LogoutUrl(TestClient client, string redirect, string? hint = null, bool oidc = false) =>
        $"/api/v1/logout?client_id={client.Id}&{(oidc ? "post_logout_redirect_uri" : "redirect_url")}={Uri.EscapeDataString(redirect)}"
        + (hint is null ? "" : "&id_token_hint=" + hint) + "&state=s1";

    [Fact]
    public async Task A_registered_logout_url_with_a_query_component_added_is_not_followed()
    {
        var login = await LoginAsync();
        var registered = await RegisterLogoutUrlAsync();

        foreach (var variant in new[] { registered + "?next=https://evil.example", registered + "/", registered.ToUpperInvariant(), registered + "#x" })
        {
            var response = await login.Browser.GetAsync(LogoutUrl(login.Client, variant));
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("https://app.example/login?", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        var exact = await login.Browser.GetAsync(LogoutUrl(login.Client, registered));
        Assert.Equal(registered, exact.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task A_forged_unsigned_or_other_tenants_id_token_hint_at_logout_gets_no_redirect_but_still_signs_out()
    {
        var login = await LoginAsync();
        var other = await LoginAsync();
        var registered = await RegisterLogoutUrlAsync();
        var hint = login.Tokens.IdToken!;

        foreach (var bad in new[] { Forged(hint), Unsigned(hint), other.Tokens.IdToken! })
        {
            foreach (var oidc in new[] { true, false })
            {
                var response = await login.Browser.GetAsync(LogoutUrl(login.Client, registered, bad, oidc));
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                Assert.Null(response.Headers.Location);
                Assert.DoesNotContain(registered, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }

        // The session ended all the same.
        var parameters = OAuthFlow.AuthorizeParameters(login.Client, OAuthFlow.NewPkce().Challenge);
        parameters["prompt"] = "none";
        Assert.Equal("login_required", OAuthFlow.Query((await login.Browser.GetAsync(OAuthFlow.AuthorizeUrl(parameters))).Headers.Location!)["error"]);

        // A hint for another client than client_id is refused too; the genuine hint is followed, with state.
        var wrongClient = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        Assert.Equal(HttpStatusCode.BadRequest, (await login.Browser.GetAsync(LogoutUrl(wrongClient, registered, hint, oidc: true))).StatusCode);
        var genuine = await login.Browser.GetAsync(LogoutUrl(login.Client, registered, hint, oidc: true));
        Assert.Equal(registered + "?state=s1", genuine.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task The_application_host_refuses_an_unsigned_or_forged_logout_hint()
    {
        var login = await LoginAsync();
        var registered = await RegisterLogoutUrlAsync();
        var backend = factory.ClientFor(LanyardFactory.ApplicationHost);

        foreach (var bad in new[] { Unsigned(login.Tokens.IdToken!), Forged(login.Tokens.IdToken!) })
        {
            var response = await backend.GetAsync(LogoutUrl(login.Client, registered, bad, oidc: true));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Null(response.Headers.Location);
        }
    }

    [Fact]
    public async Task An_unsigned_id_token_hint_naming_the_session_user_never_allows_a_silent_login()
    {
        var login = await LoginAsync();
        var parameters = OAuthFlow.AuthorizeParameters(login.Client, OAuthFlow.NewPkce().Challenge);
        parameters["prompt"] = "none";
        parameters["id_token_hint"] = Unsigned(login.Tokens.IdToken!);

        var response = await login.Browser.GetAsync(OAuthFlow.AuthorizeUrl(parameters));

        Assert.Equal("login_required", OAuthFlow.Query(response.Headers.Location!)["error"]);
        parameters["id_token_hint"] = login.Tokens.IdToken!;
        Assert.True(OAuthFlow.Query((await login.Browser.GetAsync(OAuthFlow.AuthorizeUrl(parameters))).Headers.Location!).ContainsKey("code"));
    }

    [Fact]
    public async Task A_tenants_session_and_refresh_token_do_not_carry_over_to_another_tenant()
    {
        var login = await LoginAsync();
        var other = await factory.CreateTenantAsync();
        var otherBrowser = _flow.Browser(other.Name);
        var parameters = OAuthFlow.AuthorizeParameters(login.Client, OAuthFlow.NewPkce().Challenge);
        parameters["prompt"] = "none";
        parameters["id_token_hint"] = login.Tokens.IdToken!;

        // Tenant A's hint on tenant B's host, from a browser signed in at A only: no session there.
        var response = await otherBrowser.GetAsync(OAuthFlow.AuthorizeUrl(parameters));
        Assert.Equal("login_required", OAuthFlow.Query(response.Headers.Location!)["error"]);
        Assert.Equal(other.Name, OAuthFlow.Query(response.Headers.Location!)["tenant_domain"]);

        // A's refresh token still yields tokens for A's user only.
        var refreshed = await OAuthFlow.ReadTokensAsync(await _flow.RefreshAsync(login.Client, login.Tokens.RefreshToken!));
        Assert.Equal(login.Tenant.Id, new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(refreshed.AccessToken).GetClaim("tnt_id").Value);
    }

    [Fact]
    public async Task Userinfo_takes_the_bearer_token_from_the_header_or_a_form_body_but_not_both()
    {
        var login = await LoginAsync();
        var backend = _flow.Backend();

        using var header = new HttpRequestMessage(HttpMethod.Post, "/api/v1/oauth2/userinfo");
        header.Headers.Authorization = new AuthenticationHeaderValue("Bearer", login.Tokens.AccessToken);
        var byHeader = await backend.SendAsync(header);
        Assert.Equal(HttpStatusCode.OK, byHeader.StatusCode);

        // RFC 6750 §2.2 (form-encoded body parameter), which OIDC Core §5.3.1 allows at userinfo.
        var byBody = await backend.PostAsync("/api/v1/oauth2/userinfo",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["access_token"] = login.Tokens.AccessToken }));
        Assert.Equal(HttpStatusCode.OK, byBody.StatusCode);
        Assert.Equal(await byHeader.Content.ReadAsStringAsync(), await byBody.Content.ReadAsStringAsync());

        using var both = new HttpRequestMessage(HttpMethod.Post, "/api/v1/oauth2/userinfo")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["access_token"] = login.Tokens.AccessToken }),
        };
        both.Headers.Authorization = new AuthenticationHeaderValue("Bearer", login.Tokens.AccessToken);
        var twice = await backend.SendAsync(both);
        Assert.Equal(HttpStatusCode.BadRequest, twice.StatusCode);
        Assert.Contains("invalid_request", twice.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        var tampered = await backend.PostAsync("/api/v1/oauth2/userinfo",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["access_token"] = Forged(login.Tokens.AccessToken) }));
        Assert.Equal(HttpStatusCode.Unauthorized, tampered.StatusCode);
    }
}

public sealed class HintAndUserinfoOnSqlite(SqliteLanyard factory) : HintAndUserinfoTests(factory), IClassFixture<SqliteLanyard>;

public sealed class HintAndUserinfoOnPostgres(PostgresLanyard factory) : HintAndUserinfoTests(factory), IClassFixture<PostgresLanyard>;
