using System.Diagnostics;
using System.Net;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Tests.Features.PasswordReset;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Users;

/// <summary>
/// Imported password hashes: each format verifies at the hosted login with the old password and is then
/// replaced by Lanyard's own; absurd costs are refused; a user without a password is offered remediation.
/// The vectors come from other implementations: bcrypt from libxcrypt's crypt(3) (Python's <c>crypt</c>),
/// Argon2id from the reference <c>argon2</c> command (PHC), PBKDF2 and scrypt from OpenSSL (Python's <c>hashlib</c>),
/// all for the password <see cref="OAuthFlow.TestPassword"/>.
/// </summary>
public abstract class ImportPasswordHashTests(LanyardFactory factory)
{
    private readonly ImportKit _kit = new(factory);
    private readonly ResetKit _reset = new(factory);

    public static TheoryData<string> Vectors() =>
    [
        "$2b$04$abcdefghijklmnopqrstuuqREtd3VJD2QVZbuFskFSLk6eRIrQoOS",
        "$2y$04$ZYXWVUTSRQPONMLKJIHGFeOgZ/5CA3e51erEVfD4o2ZRXZ9m1LpPq",
        "$argon2id$v=19$m=1024,t=2,p=4$c29tZXNhbHRzb21lc2FsdA$WsBo8qzYmms+9UpVJ6HwrKN4ZZDhqEF2H38xKDGlk/Y",
        "$pbkdf2-sha1$i=1000$cGVwcGVyLWFuZC1zYWx0IQ$z7lqFPO6ojBoTfF+bOZzPnakg3Bo6yFaiRpG+UFbq2U",
        "$pbkdf2-sha512$i=1000$cGVwcGVyLWFuZC1zYWx0IQ$0atJnZuAxTf/lvsrOSAZ5PuPh5tw7MtZT7RlcL9yZW4",
        "$scrypt$ln=10,r=8,p=2$c2FsdHNhbHRzYWx0c2FsdA$x7s26qK5a5UE1Qu/WZ5xwbOo1f/G8lZSqQ2aPGM4V04",
    ];

    private async Task<(HttpClient Browser, string LoginUrl)> LoginPageAsync(string tenantName)
    {
        var client = await _reset.Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb", loginUrl: "https://app.example/login");
        var browser = _reset.Browser(tenantName);
        var start = await browser.GetAsync(OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge)));
        return (browser, start.Headers.Location!.OriginalString);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public async Task An_imported_hash_logs_in_with_the_old_password_and_is_then_rehashed_to_lanyards_own(string hash)
    {
        await factory.StartAsync();
        var tenant = await factory.CreateTenantAsync();
        var email = ImportKit.Email("h");
        var answer = await _kit.ImportAsync(tenant.Id, ImportKit.Csv(new Dictionary<string, string> { ["email"] = email, ["passwordHash"] = hash }));
        Assert.Equal("created", answer.Row(1).Status);
        Assert.Equal(hash, (await _kit.UserAsync(tenant, email))!.PasswordHash);
        var (browser, loginUrl) = await LoginPageAsync(tenant.Name);

        var wrong = await _reset.Flow.SubmitLoginAsync(browser, loginUrl, email, "not the old password");
        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        Assert.Equal(hash, (await _kit.UserAsync(tenant, email))!.PasswordHash);

        var right = await _reset.Flow.SubmitLoginAsync(browser, loginUrl, email, OAuthFlow.TestPassword);
        Assert.Equal(HttpStatusCode.SeeOther, right.StatusCode);
        var stored = (await _kit.UserAsync(tenant, email))!.PasswordHash!;
        Assert.StartsWith("$pbkdf2-sha256$i=1000$", stored, StringComparison.Ordinal);

        var (again, againUrl) = await LoginPageAsync(tenant.Name);
        Assert.Equal(HttpStatusCode.SeeOther, (await _reset.Flow.SubmitLoginAsync(again, againUrl, email, OAuthFlow.TestPassword)).StatusCode);
    }

    [Theory]
    [InlineData("$2b$31$abcdefghijklmnopqrstuuqREtd3VJD2QVZbuFskFSLk6eRIrQoOS", "invalid_value")]
    [InlineData("$2b$03$abcdefghijklmnopqrstuuqREtd3VJD2QVZbuFskFSLk6eRIrQoOS", "invalid_value")]
    [InlineData("$argon2id$v=19$m=4194304,t=2,p=4$c29tZXNhbHRzb21lc2FsdA$WsBo8qzYmms+9UpVJ6HwrKN4ZZDhqEF2H38xKDGlk/Y", "invalid_value")]
    [InlineData("$argon2id$v=19$m=1024,t=1000,p=4$c29tZXNhbHRzb21lc2FsdA$WsBo8qzYmms+9UpVJ6HwrKN4ZZDhqEF2H38xKDGlk/Y", "invalid_value")]
    [InlineData("$argon2id$v=19$m=1024,t=2,p=255$c29tZXNhbHRzb21lc2FsdA$WsBo8qzYmms+9UpVJ6HwrKN4ZZDhqEF2H38xKDGlk/Y", "invalid_value")]
    [InlineData("$scrypt$ln=30,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$x7s26qK5a5UE1Qu/WZ5xwbOo1f/G8lZSqQ2aPGM4V04", "invalid_value")]
    [InlineData("$scrypt$ln=18,r=8,p=16$c2FsdHNhbHRzYWx0c2FsdA$x7s26qK5a5UE1Qu/WZ5xwbOo1f/G8lZSqQ2aPGM4V04", "invalid_value")]
    [InlineData("$pbkdf2-sha256$i=2147483647$cGVwcGVyLWFuZC1zYWx0IQ$4BKe30dPXSOkRBQ/r8JOZX95KeBKjvLz+1GzfOdcxQY", "invalid_value")]
    [InlineData("$pbkdf2-sha256$i=0$cGVwcGVyLWFuZC1zYWx0IQ$4BKe30dPXSOkRBQ/r8JOZX95KeBKjvLz+1GzfOdcxQY", "invalid_value")]
    [InlineData("$pbkdf2-md5$i=1000$cGVwcGVyLWFuZC1zYWx0IQ$4BKe30dPXSOkRBQ/r8JOZX95KeBKjvLz+1GzfOdcxQY", "invalid_format")]
    [InlineData("$pbkdf2-sha256$i=1000$c2FsdA$4BKe30dPXSOkRBQ/r8JOZX95KeBKjvLz+1GzfOdcxQY", "invalid_format")]
    [InlineData("$argon2i$v=19$m=1024,t=2,p=4$c29tZXNhbHRzb21lc2FsdA$WsBo8qzYmms+9UpVJ6HwrKN4ZZDhqEF2H38xKDGlk/Y", "invalid_format")]
    [InlineData("$argon2id$v=16$m=1024,t=2,p=4$c29tZXNhbHRzb21lc2FsdA$WsBo8qzYmms+9UpVJ6HwrKN4ZZDhqEF2H38xKDGlk/Y", "invalid_format")]
    [InlineData("$2x$04$abcdefghijklmnopqrstuuqREtd3VJD2QVZbuFskFSLk6eRIrQoOS", "invalid_format")]
    [InlineData("$2b$04$abcdefghijklmnopqrstuuqREtd3VJD2QVZbuFskFSLk6eRIrQo", "invalid_format")]
    [InlineData("5f4dcc3b5aa765d61d8327deb882cf99", "invalid_format")]
    [InlineData("correct horse battery", "invalid_format")]
    public async Task A_hash_in_an_unknown_format_or_with_an_absurd_cost_is_refused_for_its_row(string hash, string code)
    {
        var tenant = await factory.CreateTenantAsync();
        var email = ImportKit.Email("x");

        var answer = await _kit.ImportAsync(tenant.Id, ImportKit.Csv(new Dictionary<string, string> { ["email"] = email, ["passwordHash"] = hash }));

        Assert.Equal("failed", answer.Row(1).Status);
        Assert.Equal([code], answer.Row(1).Codes("passwordHash"));
        var reason = answer.Row(1).Json.GetProperty("violations").GetProperty("passwordHash")[0].GetProperty("constraintAttributes").GetProperty("reason").GetString();
        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.Null(await _kit.UserAsync(tenant, email));
    }

    [Fact]
    public async Task A_stored_hash_beyond_the_bounds_never_verifies_and_costs_no_time()
    {
        // Written past the import (as a tampered or hand-edited row would be): the login still refuses to run it.
        await factory.StartAsync();
        var tenant = await factory.CreateTenantAsync();
        var email = ImportKit.Email("d");
        var user = await factory.CreateUserAsync(tenant, email);
        await using (var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id))
        {
            await LanyardFactory.Db(scope).Users.Where(u => u.Id == user.Id).ExecuteUpdateAsync(u => u.SetProperty(x => x.PasswordHash,
                "$argon2id$v=19$m=4194304,t=4294967295,p=255$c29tZXNhbHRzb21lc2FsdA$WsBo8qzYmms+9UpVJ6HwrKN4ZZDhqEF2H38xKDGlk/Y"));
        }

        var (browser, loginUrl) = await LoginPageAsync(tenant.Name);
        var clock = Stopwatch.StartNew();
        var attempt = await _reset.Flow.SubmitLoginAsync(browser, loginUrl, email, OAuthFlow.TestPassword);

        Assert.Equal(HttpStatusCode.OK, attempt.StatusCode);
        Assert.True(ResetKit.Has(await attempt.Content.ReadAsStringAsync(), "error"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the login took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_user_imported_without_a_password_is_sent_a_link_to_set_one_at_first_login()
    {
        await factory.StartAsync();
        var tenant = await factory.CreateTenantAsync();
        var email = ImportKit.Email("n");
        await _kit.ImportAsync(tenant.Id, ImportKit.Csv(new Dictionary<string, string> { ["email"] = email, ["givenName"] = "No Password" }));
        var (browser, loginUrl) = await LoginPageAsync(tenant.Name);

        var attempt = await _reset.Flow.SubmitLoginAsync(browser, loginUrl, email, "anything at all");

        var html = await attempt.Content.ReadAsStringAsync();
        Assert.True(ResetKit.Has(html, "missing-password"));
        var set = await ResetKit.SetPasswordAsync(browser, await _reset.ResetLinkAsync(email, tenant.Name), ResetKit.NewPassword);
        Assert.Equal(HttpStatusCode.SeeOther, set.StatusCode);
        var (fresh, freshUrl) = await LoginPageAsync(tenant.Name);
        Assert.Equal(HttpStatusCode.SeeOther, (await _reset.Flow.SubmitLoginAsync(fresh, freshUrl, email, ResetKit.NewPassword)).StatusCode);
    }
}

public sealed class ImportPasswordHashOnSqlite(ResetSqliteLanyard factory) : ImportPasswordHashTests(factory), IClassFixture<ResetSqliteLanyard>;

public sealed class ImportPasswordHashOnPostgres(ResetPostgresLanyard factory) : ImportPasswordHashTests(factory), IClassFixture<ResetPostgresLanyard>;
