using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Mfa;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Common;
using Lanyard.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OtpNet;

namespace Lanyard.Server.Tests.Features.Mfa;

/// <summary>
/// A second server process over the first one's database and data directory (same master key), with the
/// first one's clock: two nodes of one deployment. It never creates or drops a database of its own.
/// </summary>
public sealed class SiblingLanyard : LanyardFactory
{
    private readonly LanyardFactory _first;

    public SiblingLanyard(LanyardFactory first) : base(Database.Sqlite)
    {
        _first = first;
        With("Lanyard:Database:Provider", first.Database.ToString());
        With("Lanyard:Database:ConnectionString", first.ConnectionString);
        With("Lanyard:DataDirectory", first.DataDirectory);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(_first.Time);
        });
    }
}

/// <summary>Where the browser stands after the password step: the authorization request and where authorize sent it.</summary>
internal sealed record PasswordStep(Dictionary<string, string?> Parameters, string Verifier, Uri Location);

/// <summary>Browser and API steps of MFA, with codes computed from the secret the server showed.</summary>
internal sealed partial class MfaKit(LanyardFactory factory)
{
    public const string Required = "{\"enrollmentStrategy\":\"REQUIRED\"}";

    public OAuthFlow Flow { get; } = new(factory);

    public async Task<(Tenant Tenant, string Email, User User)> TenantWithUserAsync()
    {
        await factory.StartAsync();
        var tenant = await factory.CreateTenantAsync();
        var email = $"m{Guid.NewGuid():N}@example.com";
        var user = await factory.CreateUserAsync(tenant, email);
        return (tenant, email, user);
    }

    public static string CodeAt(string secret, DateTimeOffset at) => new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(at.UtcDateTime);

    /// <summary>The code of the current step, or of <paramref name="steps"/> steps away from it.</summary>
    public string Code(string secret, int steps = 0) => CodeAt(secret, factory.Time.GetUtcNow().AddSeconds(30 * steps));

    /// <summary>Moves the clock to the start of the next time step (so the previous step's code is "one step back").</summary>
    public void NextStep()
    {
        var now = factory.Time.GetUtcNow().ToUnixTimeSeconds();
        factory.Time.Advance(TimeSpan.FromSeconds(30 - (now % 30)));
    }

    /// <summary>Authorize → login page → password → authorize again: returns where that last authorize sent the browser.</summary>
    public async Task<PasswordStep> PasswordStepAsync(HttpClient browser, TestClient client, string email)
    {
        var (verifier, challenge) = OAuthFlow.NewPkce();
        var parameters = OAuthFlow.AuthorizeParameters(client, challenge);
        var start = await browser.GetAsync(OAuthFlow.AuthorizeUrl(parameters));
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var login = await Flow.SubmitLoginAsync(browser, start.Headers.Location!.OriginalString, email, OAuthFlow.TestPassword);
        Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
        var back = await browser.GetAsync(login.Headers.Location);
        Assert.Equal(HttpStatusCode.Redirect, back.StatusCode);
        return new PasswordStep(parameters, verifier, back.Headers.Location!);
    }

    /// <summary>Follows a redirect back to authorize and returns where it sends the browser (the callback when a code is issued).</summary>
    public static async Task<Uri> FollowAsync(HttpClient browser, string url)
    {
        var response = await browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.Location!;
    }

    public static bool IsCallback(Uri location) => location.IsAbsoluteUri && OAuthFlow.Query(location).ContainsKey("code");

    /// <summary>Posts a form of an already fetched page: every hidden input of <paramref name="html"/> plus <paramref name="fields"/>.</summary>
    public static Task<HttpResponseMessage> PostFormAsync(HttpClient browser, string html, string postUrl, Dictionary<string, string> fields)
    {
        var form = new Dictionary<string, string>();
        foreach (Match hidden in HiddenInput().Matches(html))
        {
            var name = Regex.Match(hidden.Value, "name=\"([^\"]*)\"").Groups[1].Value;
            form[name] = WebUtility.HtmlDecode(Regex.Match(hidden.Value, "value=\"([^\"]*)\"").Groups[1].Value);
        }

        foreach (var (key, value) in fields)
        {
            form[key] = value;
        }

        return browser.PostAsync(postUrl, new FormUrlEncodedContent(form));
    }

    public static string? TestId(string html, string testId, string element = "code")
    {
        var match = Regex.Match(html, $"<{element}[^>]*data-testid=\"{Regex.Escape(testId)}\"[^>]*>([^<]*)<", RegexOptions.CultureInvariant);
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : null;
    }

    public static string? Href(string html, string testId)
    {
        var match = Regex.Match(html, $"<a href=\"([^\"]*)\" data-testid=\"{Regex.Escape(testId)}\"", RegexOptions.CultureInvariant);
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : null;
    }

    public static bool Has(string html, string testId) => html.Contains($"data-testid=\"{testId}\"", StringComparison.Ordinal);

    /// <summary>The enroll page: its HTML and the secret it shows.</summary>
    public static async Task<(string Html, string Secret)> EnrollPageAsync(HttpClient browser, string url)
    {
        var page = await browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        return (html, TestId(html, "totp-secret") ?? throw new InvalidOperationException("no secret on the enroll page"));
    }

    /// <summary>Enrolls through the page at <paramref name="url"/>; returns the secret and the page answering the verified code.</summary>
    public async Task<(string Secret, HttpResponseMessage Response)> EnrollThroughPageAsync(HttpClient browser, string url)
    {
        var (html, secret) = await EnrollPageAsync(browser, url);
        var response = await PostFormAsync(browser, html, "/mfa/enroll", new() { ["Input.Code"] = Code(secret) });
        return (secret, response);
    }

    /// <summary>Submits the challenge page at <paramref name="url"/> with a TOTP code or (handler "recovery") the recovery code.</summary>
    public static async Task<HttpResponseMessage> ChallengeAsync(HttpClient browser, string url, string? code = null, string? recoveryCode = null)
    {
        var page = await browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        return recoveryCode is null
            ? await PostFormAsync(browser, html, "/mfa/challenge", new() { ["Input.Code"] = code ?? "" })
            : await PostFormAsync(browser, html, "/mfa/challenge?handler=recovery", new() { ["Input.RecoveryCode"] = recoveryCode });
    }

    /// <summary>Enrolls a user through the API as the admin client: returns the secret and the recovery code. The enrollment used the current step.</summary>
    public async Task<(string Secret, string? RecoveryCode)> EnrollThroughApiAsync(HttpClient admin, string userId)
    {
        var started = await admin.PostAsJsonAsync("/api/v1/mfa/enroll-totp", new { userId });
        var body = await JsonAsync(started, HttpStatusCode.OK);
        var secret = body.GetProperty("secret").GetString()!;
        var verified = await admin.PostAsJsonAsync("/api/v1/mfa/verify-totp-enrollment", new { userId, factorId = body.GetProperty("factorId").GetString(), code = Code(secret) });
        var result = await JsonAsync(verified, HttpStatusCode.OK);
        return (secret, result.TryGetProperty("recoveryCode", out var code) ? code.GetString() : null);
    }

    /// <summary>A full login with MFA for an enrolled user: password, challenge with the current code, code redeemed.</summary>
    public async Task<TokenResponse> LoginWithMfaAsync(TestClient client, Tenant tenant, string email, string secret)
    {
        var browser = Flow.Browser(tenant.Name);
        var step = await PasswordStepAsync(browser, client, email);
        Assert.StartsWith("/mfa/challenge", step.Location.OriginalString, StringComparison.Ordinal);
        var passed = await ChallengeAsync(browser, step.Location.OriginalString, Code(secret));
        Assert.Equal(HttpStatusCode.SeeOther, passed.StatusCode);
        var callback = await FollowAsync(browser, passed.Headers.Location!.OriginalString);
        return await OAuthFlow.ReadTokensAsync(await Flow.RedeemAsync(client, OAuthFlow.Query(callback)["code"], step.Verifier));
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The first violation code of <paramref name="field"/> in a 400 constraint-violations body.</summary>
    public static async Task<string?> ViolationAsync(HttpResponseMessage response, string field)
    {
        var body = await JsonAsync(response, HttpStatusCode.BadRequest);
        return body.GetProperty("violations").GetProperty(field)[0].GetProperty("code").GetString();
    }

    public static async Task<string?> ErrorCodeAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString();

    /// <summary>The <c>amr</c> claim of a JWT (id or access token).</summary>
    public static IReadOnlyList<string> Amr(string jwt)
    {
        var payload = JsonDocument.Parse(Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(jwt.Split('.')[1])).RootElement;
        return [.. payload.GetProperty("amr").EnumerateArray().Select(a => a.GetString()!)];
    }

    /// <summary>An auth-session handoff as a finished workflow (password reset, invitation…) issues it; returns its URL.</summary>
    public async Task<string> HandoffUrlAsync(Tenant tenant, string userId, string workflow, string clientId)
    {
        await using var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id);
        var db = LanyardFactory.Db(scope);
        var application = await db.Set<Application>().AsNoTracking().FirstAsync(a => a.Id == tenant.ApplicationId);
        var (url, _, _) = await scope.ServiceProvider.GetRequiredService<AuthSessionHandoff>()
            .IssueAsync(application, tenant, userId, workflow, new WorkflowContext(ClientId: clientId, Amr: ["pwd"]), CancellationToken.None);
        await db.SaveChangesAsync();
        return url;
    }

    public async Task<List<MfaFactor>> FactorsAsync(Tenant tenant, string userId)
    {
        await using var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id);
        return await LanyardFactory.Db(scope).Set<MfaFactor>().AsNoTracking().Where(f => f.UserId == userId).ToListAsync();
    }

    /// <summary>A client for the APIs acting as the user (its own access token), after giving the user a role with <paramref name="permission"/>.</summary>
    public async Task<(HttpClient Api, TokenResponse Tokens)> UserApiAsync(TestClient client, Tenant tenant, string email, string userId, string permission, string? secret = null)
    {
        var roleId = LanyardId.New(factory.Time);
        await using (var scope = factory.ScopeFor(tenant.ApplicationId))
        {
            var db = LanyardFactory.Db(scope);
            var permissionId = db.Permissions.Single(p => p.Value == permission).Id;
            db.Roles.Add(new Role { Id = roleId, Name = $"app:test:r{roleId[^8..].ToLowerInvariant()}", DisplayName = "MFA tester" });
            db.RolePermissions.Add(new RolePermission { RoleId = roleId, PermissionId = permissionId });
            await db.SaveChangesAsync();
        }

        await using (var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id))
        {
            var db = LanyardFactory.Db(scope);
            db.UserRoles.Add(new UserRole { UserId = userId, RoleId = roleId });
            await db.SaveChangesAsync();
        }

        var tokens = secret is null ? (await Flow.LoginAsync(client, tenant.Name, email)).Tokens : await LoginWithMfaAsync(client, tenant, email, secret);
        var api = factory.ClientFor(LanyardFactory.ApplicationHost);
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.AccessToken);
        return (api, tokens);
    }

    [GeneratedRegex("<input[^>]*type=\"hidden\"[^>]*>", RegexOptions.CultureInvariant)]
    private static partial Regex HiddenInput();
}
