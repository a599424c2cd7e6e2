using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Testing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Signup;

/// <summary>Helpers of the signup tests: posting the hosted forms, switching signup on and off, reading rows.</summary>
internal static partial class SignupKit
{
    public const string Password = "correct horse battery";

    public static string NewEmail(string domain = "example.com") => $"u{Guid.NewGuid():N}"[..14] + "@" + domain;

    public static string NewTenantName() => TestData.UniqueTenantName("s");

    /// <summary>GETs the form (cookies and antiforgery token), then POSTs it with its hidden fields and <paramref name="fields"/>.</summary>
    public static async Task<HttpResponseMessage> SubmitAsync(
        HttpClient browser, string url, Dictionary<string, string> fields, Action<HttpRequestMessage>? customize = null)
    {
        var page = await browser.GetAsync(url);
        Assert.True(page.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"form page answered {(int)page.StatusCode}");
        var html = await page.Content.ReadAsStringAsync();
        foreach (Match input in InputTag().Matches(html))
        {
            var tag = input.Value;
            if (tag.Contains("type=\"hidden\"", StringComparison.Ordinal)
                && Attribute("name").Match(tag) is { Success: true } name && Attribute("value").Match(tag) is { Success: true } value)
            {
                fields.TryAdd(name.Groups[1].Value, WebUtility.HtmlDecode(value.Groups[1].Value));
            }
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(fields) };
        customize?.Invoke(request);
        return await browser.SendAsync(request);
    }

    public static Dictionary<string, string> AppForm(string tenantName, string email, string password = Password) => new()
    {
        ["Input.TenantName"] = tenantName,
        ["Input.Email"] = email,
        ["Input.Password"] = password,
    };

    public static Dictionary<string, string> TenantForm(string email, string password = Password) => new()
    {
        ["Input.Email"] = email,
        ["Input.Password"] = password,
    };

    public static async Task SetApplicationSignupAsync(this LanyardFactory factory, bool enabled)
    {
        await factory.StartAsync();
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId);
        var db = LanyardFactory.Db(scope);
        var application = await db.Applications.AsTracking().FirstAsync(a => a.Id == factory.Bootstrap.ApplicationId);
        application.SignupEnabled = enabled;
        await db.SaveChangesAsync();
    }

    public static async Task<Tenant> TenantWithSignupAsync(this LanyardFactory factory, bool enabled = true, params string[] domains)
    {
        var tenant = await factory.CreateTenantAsync();
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId);
        var db = LanyardFactory.Db(scope);
        var row = await db.Tenants.AsTracking().FirstAsync(t => t.Id == tenant.Id);
        row.SignupEnabled = enabled;
        row.AllowedSignupEmailDomains = [.. domains];
        await db.SaveChangesAsync();
        return row;
    }

    public static async Task<Tenant?> FindTenantAsync(this LanyardFactory factory, string name)
    {
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId);
        var normalized = Normalize.Key(name);
        return await LanyardFactory.Db(scope).Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.NormalizedName == normalized);
    }

    public static async Task<int> CountTenantsAsync(this LanyardFactory factory)
    {
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId);
        return await LanyardFactory.Db(scope).Tenants.CountAsync();
    }

    public static async Task<List<User>> UsersAsync(this LanyardFactory factory, string tenantId, string email)
    {
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId, tenantId);
        var normalized = Normalize.Key(email);
        return await LanyardFactory.Db(scope).Users.AsNoTracking().Where(u => u.NormalizedEmail == normalized).ToListAsync();
    }

    public static async Task<User> UserAsync(this LanyardFactory factory, string tenantId, string email) =>
        Assert.Single(await factory.UsersAsync(tenantId, email));

    public static async Task<List<string>> RoleNamesAsync(this LanyardFactory factory, string tenantId, string userId)
    {
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId, tenantId);
        var db = LanyardFactory.Db(scope);
        return await db.UserRoles.Where(ur => ur.UserId == userId).Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name).ToListAsync();
    }

    /// <summary>An application role named <c>app:{application}:{shortName}</c>.</summary>
    public static async Task<Role> CreateApplicationRoleAsync(this LanyardFactory factory, string shortName)
    {
        await factory.StartAsync();
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId);
        var db = LanyardFactory.Db(scope);
        var application = await db.Applications.AsNoTracking().FirstAsync(a => a.Id == factory.Bootstrap.ApplicationId);
        var role = new Role { Id = LanyardId.New(factory.Time), Name = $"app:{application.Name}:{shortName}", DisplayName = shortName };
        db.Roles.Add(role);
        await db.SaveChangesAsync();
        return role;
    }

    public static string CodeOf(string link) => QueryHelpers.ParseQuery(new Uri(link).Query)["code"].ToString();

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>();

    public static string? ViolationCode(JsonElement body, string field) =>
        body.TryGetProperty("violations", out var violations) && violations.TryGetProperty(field, out var list)
            ? list[0].GetProperty("code").GetString()
            : null;

    [GeneratedRegex("<input[^>]*>", RegexOptions.CultureInvariant)]
    private static partial Regex InputTag();

    private static Regex Attribute(string name) => new($"{name}=\"([^\"]*)\"", RegexOptions.CultureInvariant);
}
