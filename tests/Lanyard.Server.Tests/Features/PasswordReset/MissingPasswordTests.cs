using System.Net;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Policies;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.PasswordReset;

/// <summary>Missing-password remediation on the tenant login page (login workflow policy).</summary>
public abstract class MissingPasswordTests(LanyardFactory factory)
{
    private readonly ResetKit _kit = new(factory);

    private async Task<(HttpClient Browser, string LoginUrl)> LoginPageAsync(string tenantName)
    {
        var client = await _kit.Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb", loginUrl: "https://app.example/login");
        var browser = _kit.Browser(tenantName);
        var start = await browser.GetAsync(OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge)));
        return (browser, start.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task A_user_without_a_password_is_sent_a_link_to_set_one_and_can_then_sign_in()
    {
        await factory.StartAsync();
        var (tenant, email, _) = await _kit.TenantWithUserAsync(password: null);
        var (browser, loginUrl) = await LoginPageAsync(tenant.Name);

        var attempt = await _kit.Flow.SubmitLoginAsync(browser, loginUrl, email, "whatever they typed");

        Assert.Equal(HttpStatusCode.OK, attempt.StatusCode);
        var html = await attempt.Content.ReadAsStringAsync();
        Assert.True(ResetKit.Has(html, "missing-password"));
        Assert.Contains("no password yet", html, StringComparison.Ordinal);
        Assert.False(ResetKit.Has(html, "error"));

        var set = await ResetKit.SetPasswordAsync(browser, await _kit.ResetLinkAsync(email, tenant.Name), ResetKit.NewPassword);
        Assert.Equal(HttpStatusCode.SeeOther, set.StatusCode);
        var landed = await browser.GetAsync(set.Headers.Location);
        Assert.StartsWith("https://app.example/login?", landed.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);

        var (fresh, freshLogin) = await LoginPageAsync(tenant.Name);
        Assert.Equal(HttpStatusCode.SeeOther, (await _kit.Flow.SubmitLoginAsync(fresh, freshLogin, email, ResetKit.NewPassword)).StatusCode);
    }

    [Fact]
    public async Task With_remediation_off_a_user_without_a_password_fails_like_a_wrong_password_and_gets_no_mail()
    {
        await factory.StartAsync();
        var (tenant, email, _) = await _kit.TenantWithUserAsync(password: null);
        await factory.SetPolicyAsync(PolicyKind.LoginWorkflow, "{\"missingPasswordRemediation\":false}", tenant);
        var (browser, loginUrl) = await LoginPageAsync(tenant.Name);

        var attempt = await _kit.Flow.SubmitLoginAsync(browser, loginUrl, email, "whatever they typed");
        var unknown = await _kit.Flow.SubmitLoginAsync(browser, loginUrl, "nobody-" + email, "whatever they typed");

        Assert.Equal(HttpStatusCode.OK, attempt.StatusCode);
        var html = await attempt.Content.ReadAsStringAsync();
        Assert.False(ResetKit.Has(html, "missing-password"));
        Assert.Contains("incorrect", html, StringComparison.Ordinal);
        Assert.Equal(Error(html), Error(await unknown.Content.ReadAsStringAsync()));
        Assert.Equal(0, await factory.Emails.CountAfterQuietAsync(email));
    }

    [Fact]
    public async Task A_user_with_a_password_and_a_wrong_guess_gets_no_remediation()
    {
        await factory.StartAsync();
        var (tenant, email, _) = await _kit.TenantWithUserAsync();
        var (browser, loginUrl) = await LoginPageAsync(tenant.Name);

        var attempt = await _kit.Flow.SubmitLoginAsync(browser, loginUrl, email, "not the password");

        var html = await attempt.Content.ReadAsStringAsync();
        Assert.False(ResetKit.Has(html, "missing-password"));
        Assert.True(ResetKit.Has(html, "error"));
        Assert.Equal(0, await factory.Emails.CountAfterQuietAsync(email));
    }

    private static string Error(string html)
    {
        var match = System.Text.RegularExpressions.Regex.Match(html, "data-testid=\"error\">([^<]*)<");
        return match.Success ? match.Groups[1].Value : "";
    }
}

public sealed class MissingPasswordOnSqlite(ResetSqliteLanyard factory) : MissingPasswordTests(factory), IClassFixture<ResetSqliteLanyard>;

public sealed class MissingPasswordOnPostgres(ResetPostgresLanyard factory) : MissingPasswordTests(factory), IClassFixture<ResetPostgresLanyard>;
