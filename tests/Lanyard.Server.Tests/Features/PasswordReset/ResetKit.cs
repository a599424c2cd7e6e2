using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.PasswordReset;

/// <summary>
/// The test server with one addition: a request's client address can be chosen with the
/// <c>X-Test-Client-Address</c> header (the in-memory transport has none), so per-address limits are
/// testable and each test counts in a bucket of its own.
/// </summary>
public abstract class AddressableLanyard(Database database) : LanyardFactory(database)
{
    public const string AddressHeader = "X-Test-Client-Address";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<IStartupFilter, AddressFromHeader>());
    }

    private sealed class AddressFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (IPAddress.TryParse(context.Request.Headers[AddressHeader].ToString(), out var address))
                {
                    context.Connection.RemoteIpAddress = address;
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }
}

public sealed class ResetSqliteLanyard() : AddressableLanyard(Database.Sqlite);

public sealed class ResetPostgresLanyard() : AddressableLanyard(Database.Postgres);

/// <summary>Browser steps of the password workflows: forms with their antiforgery token, the emailed link.</summary>
internal sealed class ResetKit(LanyardFactory factory)
{
    public const string NewPassword = "a brand new secret 42";

    private static int _address;

    public OAuthFlow Flow { get; } = new(factory);

    /// <summary>A browser on the tenant host with a client address of its own.</summary>
    public HttpClient Browser(string tenantName, string? address = null)
    {
        var browser = Flow.Browser(tenantName);
        browser.DefaultRequestHeaders.Add(AddressableLanyard.AddressHeader, address ?? NewAddress());
        return browser;
    }

    public static string NewAddress()
    {
        var n = Interlocked.Increment(ref _address);
        return $"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}";
    }

    public static string? Hidden(string html, string name)
    {
        var match = Regex.Match(html, $"<input[^>]*name=\"{Regex.Escape(name)}\"[^>]*value=\"([^\"]*)\"", RegexOptions.CultureInvariant);
        if (!match.Success)
        {
            match = Regex.Match(html, $"<input[^>]*value=\"([^\"]*)\"[^>]*name=\"{Regex.Escape(name)}\"", RegexOptions.CultureInvariant);
        }

        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : null;
    }

    public static bool Has(string html, string testId) => html.Contains($"data-testid=\"{testId}\"", StringComparison.Ordinal);

    public static string? Href(string html, string testId)
    {
        var match = Regex.Match(html, $"<a href=\"([^\"]*)\" data-testid=\"{Regex.Escape(testId)}\"", RegexOptions.CultureInvariant);
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : null;
    }

    /// <summary>GETs <paramref name="pageUrl"/>, then posts its form back with <paramref name="fields"/> and every hidden input of the page.</summary>
    public static async Task<HttpResponseMessage> SubmitAsync(HttpClient browser, string pageUrl, Dictionary<string, string> fields, string? postUrl = null)
    {
        var page = await browser.GetAsync(pageUrl);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        var form = new Dictionary<string, string>();
        foreach (Match hidden in Regex.Matches(html, "<input[^>]*type=\"hidden\"[^>]*>", RegexOptions.CultureInvariant))
        {
            var name = Regex.Match(hidden.Value, "name=\"([^\"]*)\"").Groups[1].Value;
            form[name] = WebUtility.HtmlDecode(Regex.Match(hidden.Value, "value=\"([^\"]*)\"").Groups[1].Value);
        }

        foreach (var (key, value) in fields)
        {
            form[key] = value;
        }

        return await browser.PostAsync(postUrl ?? pageUrl, new FormUrlEncodedContent(form));
    }

    public static Task<HttpResponseMessage> ForgotAsync(HttpClient browser, string identifier, string pageUrl = "/forgot-password") =>
        SubmitAsync(browser, pageUrl, new() { ["Input.Identifier"] = identifier });

    public static Task<HttpResponseMessage> SetPasswordAsync(HttpClient browser, string link, string password, string? confirmation = null) =>
        SubmitAsync(browser, link, new() { ["Input.NewPassword"] = password, ["Input.ConfirmPassword"] = confirmation ?? password }, "/reset-password");

    /// <summary>The <paramref name="count"/>-th reset link mailed to <paramref name="email"/>, on the tenant's configured host.</summary>
    public async Task<string> ResetLinkAsync(string email, string tenantName, int count = 1)
    {
        var message = await factory.Emails.WaitForAsync(email, EmailTypes.PasswordReset, count);
        return CapturingEmailSender.Link(message, $"https://{LanyardFactory.TenantHost(tenantName)}/reset-password?code=");
    }

    public static string Code(string link) => link[(link.IndexOf("code=", StringComparison.Ordinal) + 5)..];

    public async Task<(Tenant Tenant, string Email, User User)> TenantWithUserAsync(string? password = OAuthFlow.TestPassword)
    {
        var tenant = await factory.CreateTenantAsync();
        var email = $"r{Guid.NewGuid():N}@example.com";
        var user = await factory.CreateUserAsync(tenant, email, password);
        return (tenant, email, user);
    }

    public async Task SetUserStatusAsync(Tenant tenant, string userId, UserStatus status)
    {
        await using var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id);
        var db = LanyardFactory.Db(scope);
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, status));
    }

    public async Task<int> ResetEmailCountAsync(string email)
    {
        await factory.Emails.CountAfterQuietAsync(email);
        return factory.Emails.To(email).Count(m => m.Type == EmailTypes.PasswordReset);
    }

    /// <summary>The body as JSON; may be read more than once.</summary>
    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonSerializer.Deserialize<JsonElement>(await response.Content.ReadAsStringAsync());

    /// <summary>The codes of the violations of one field in a <c>constraint_violations_error</c>.</summary>
    public static async Task<IReadOnlyList<string>> ViolationsAsync(HttpResponseMessage response, string field)
    {
        var body = await JsonAsync(response);
        Assert.Equal("constraint_violations_error", body.GetProperty("type").GetString());
        return body.GetProperty("violations").TryGetProperty(field, out var list)
            ? [.. list.EnumerateArray().Select(v => v.GetProperty("code").GetString()!)]
            : [];
    }
}
