using System.Net;
using System.Net.Http.Json;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Mfa;
using Lanyard.Server.Pages.MfaChallenge;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Mfa;

/// <summary>TOTP replay across steps and across server instances, and the MFA attempt limit under parallel guessing (checklist item 63).</summary>
public abstract class MfaDefenceTests(LanyardFactory factory)
{
    private readonly MfaKit _kit = new(factory);

    private async Task<(HttpClient Browser, string ChallengeUrl)> AtChallengeAsync(Lanyard.Server.Features.Tenants.Tenant tenant, TestClient client, string email, LanyardFactory? server = null)
    {
        var browser = (server ?? factory).ClientFor(LanyardFactory.TenantHost(tenant.Name));
        var flow = new MfaKit(server ?? factory);
        var step = await flow.PasswordStepAsync(browser, client, email);
        Assert.StartsWith("/mfa/challenge", step.Location.OriginalString, StringComparison.Ordinal);
        return (browser, step.Location.OriginalString);
    }

    [Fact]
    public async Task A_code_is_accepted_once_one_step_back_at_most_and_never_after_a_later_step()
    {
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        var (secret, _) = await _kit.EnrollThroughApiAsync(await factory.AdminApiAsync(), user.Id);
        factory.Time.Advance(TimeSpan.FromSeconds(90));
        _kit.NextStep();
        var client = await _kit.Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");

        var (first, firstUrl) = await AtChallengeAsync(tenant, client, email);
        var twoBack = await MfaKit.ChallengeAsync(first, firstUrl, _kit.Code(secret, -2));
        Assert.Equal(HttpStatusCode.OK, twoBack.StatusCode);
        Assert.True(MfaKit.Has(await twoBack.Content.ReadAsStringAsync(), "error"));
        var oneBack = await MfaKit.ChallengeAsync(first, firstUrl, _kit.Code(secret, -1));
        Assert.Equal(HttpStatusCode.SeeOther, oneBack.StatusCode);

        var (second, secondUrl) = await AtChallengeAsync(tenant, client, email);
        var oneBackAgain = await MfaKit.ChallengeAsync(second, secondUrl, _kit.Code(secret, -1));
        Assert.Equal(HttpStatusCode.OK, oneBackAgain.StatusCode);
        var current = await MfaKit.ChallengeAsync(second, secondUrl, _kit.Code(secret));
        Assert.Equal(HttpStatusCode.SeeOther, current.StatusCode);

        // Within the same 30 s the same code is spent; the previous step's code, older than the last accepted, too.
        var (third, thirdUrl) = await AtChallengeAsync(tenant, client, email);
        Assert.Equal(HttpStatusCode.OK, (await MfaKit.ChallengeAsync(third, thirdUrl, _kit.Code(secret))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await MfaKit.ChallengeAsync(third, thirdUrl, _kit.Code(secret, -1))).StatusCode);
        _kit.NextStep();
        Assert.Equal(HttpStatusCode.SeeOther, (await MfaKit.ChallengeAsync(third, thirdUrl, _kit.Code(secret))).StatusCode);
    }

    [Fact]
    public async Task Two_server_instances_on_one_database_accept_a_code_once_between_them()
    {
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        var (secret, _) = await _kit.EnrollThroughApiAsync(await factory.AdminApiAsync(), user.Id);
        _kit.NextStep();
        var client = await _kit.Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        await using var sibling = new SiblingLanyard(factory);

        var (one, oneUrl) = await AtChallengeAsync(tenant, client, email);
        var (two, twoUrl) = await AtChallengeAsync(tenant, client, email, sibling);
        var pages = await Task.WhenAll(one.GetAsync(oneUrl), two.GetAsync(twoUrl));
        var htmls = await Task.WhenAll(pages.Select(p => p.Content.ReadAsStringAsync()));
        var code = _kit.Code(secret);

        var answers = await Task.WhenAll(
            MfaKit.PostFormAsync(one, htmls[0], "/mfa/challenge", new() { ["Input.Code"] = code }),
            MfaKit.PostFormAsync(two, htmls[1], "/mfa/challenge", new() { ["Input.Code"] = code }));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.SeeOther);
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);

        // The refused node is a full node of the same deployment: the next step's code works there.
        _kit.NextStep();
        var (retryBrowser, retryUrl) = answers[0].StatusCode == HttpStatusCode.OK ? (one, oneUrl) : (two, twoUrl);
        Assert.Equal(HttpStatusCode.SeeOther, (await MfaKit.ChallengeAsync(retryBrowser, retryUrl, _kit.Code(secret))).StatusCode);
    }

    [Fact]
    public async Task Parallel_guessing_evaluates_at_most_the_limit_then_even_the_right_code_is_locked_out_until_the_window_ends()
    {
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        var (secret, _) = await _kit.EnrollThroughApiAsync(await factory.AdminApiAsync(), user.Id);
        _kit.NextStep();
        var client = await _kit.Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var (browser, url) = await AtChallengeAsync(tenant, client, email);
        var html = await (await browser.GetAsync(url)).Content.ReadAsStringAsync();
        var wrong = MfaLoginTests.WrongCode(_kit.Code(secret));

        var guesses = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => MfaKit.PostFormAsync(browser, html, "/mfa/challenge", new() { ["Input.Code"] = wrong })));

        Assert.True(guesses.Count(g => g.StatusCode == HttpStatusCode.OK) <= MfaService.AttemptLimit);
        Assert.True(guesses.Count(g => g.StatusCode == HttpStatusCode.TooManyRequests) >= 30 - MfaService.AttemptLimit);
        var right = await MfaKit.PostFormAsync(browser, html, "/mfa/challenge", new() { ["Input.Code"] = _kit.Code(secret) });
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.Contains(IndexModel.LockedMessage, await right.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The password's own limit is untouched: the user can still sign in with the password.
        var other = await AtChallengeAsync(tenant, client, email);
        Assert.NotNull(other.Browser);

        factory.Time.Advance(MfaService.AttemptWindow);
        var after = await MfaKit.PostFormAsync(browser, html, "/mfa/challenge", new() { ["Input.Code"] = _kit.Code(secret) });
        Assert.Equal(HttpStatusCode.SeeOther, after.StatusCode);
    }

    [Fact]
    public async Task The_api_shares_the_limit_and_answers_429_too_many_requests()
    {
        var (_, _, user) = await _kit.TenantWithUserAsync();
        var admin = await factory.AdminApiAsync();
        var (secret, recovery) = await _kit.EnrollThroughApiAsync(admin, user.Id);
        _kit.NextStep();
        var wrong = MfaLoginTests.WrongCode(_kit.Code(secret));

        var guesses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { userId = user.Id, code = wrong })));

        Assert.True(guesses.Count(g => g.StatusCode == HttpStatusCode.BadRequest) <= MfaService.AttemptLimit);
        var locked = await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { userId = user.Id, code = _kit.Code(secret) });
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.Equal("too_many_requests", await MfaKit.ErrorCodeAsync(locked));
        var lockedRecovery = await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { userId = user.Id, recoveryCode = recovery });
        Assert.Equal(HttpStatusCode.TooManyRequests, lockedRecovery.StatusCode);
    }
}

public sealed class MfaDefenceOnSqlite(SqliteLanyard factory) : MfaDefenceTests(factory), IClassFixture<SqliteLanyard>;

public sealed class MfaDefenceOnPostgres(PostgresLanyard factory) : MfaDefenceTests(factory), IClassFixture<PostgresLanyard>;
