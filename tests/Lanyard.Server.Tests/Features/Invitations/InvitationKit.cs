using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Invitations;

/// <summary>Helpers shared by the invitation tests: API calls, links from the captured mail, hosted forms, rows.</summary>
internal sealed class InvitationKit(LanyardFactory factory)
{
    public const string AppLoginUrl = "https://app.example/login";
    public const string Password = "a long enough password";

    private HttpClient? _admin;

    public static string NewEmail() => $"i{Guid.NewGuid():N}@example.com";

    /// <summary>
    /// Wristband's permission names the invitation APIs check. The bootstrap list names workflow permissions
    /// <c>new-user-invitation:execute</c> and has no request read permission yet, so the tests grant these.
    /// </summary>
    private static readonly string[] GrantedToAdmin =
        ["new-user-invitation-workflow:execute", "existing-user-invitation-workflow:execute", "new-user-invitation-request:read"];

    /// <summary>Starts the server, gives the application a login URL (where a finished workflow lands) and grants <see cref="GrantedToAdmin"/>.</summary>
    public async Task<HttpClient> AdminAsync()
    {
        if (_admin is not null)
        {
            return _admin;
        }

        await factory.StartAsync();
        await using (var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId))
        {
            var db = LanyardFactory.Db(scope);
            var application = await db.Applications.AsTracking().SingleAsync(a => a.Id == factory.Bootstrap.ApplicationId);
            application.LoginUrl = AppLoginUrl;
            var roleId = await db.ClientRoles.Where(c => c.ClientId == factory.Bootstrap.AdminClientId).Select(c => c.RoleId).FirstAsync();
            foreach (var value in GrantedToAdmin)
            {
                var permission = await db.Permissions.FirstOrDefaultAsync(p => p.Value == value);
                if (permission is null)
                {
                    permission = new Permission { Id = LanyardId.New(factory.Time), Value = value };
                    db.Permissions.Add(permission);
                }

                if (!await db.RolePermissions.AnyAsync(rp => rp.RoleId == roleId && rp.PermissionId == permission.Id))
                {
                    db.RolePermissions.Add(new RolePermission { RoleId = roleId, PermissionId = permission.Id });
                }
            }

            await db.SaveChangesAsync();
        }

        _admin = await factory.AdminApiAsync();
        return _admin;
    }

    /// <summary>A new admin token, for after the fake clock has moved past the old one's expiry.</summary>
    public async Task<HttpClient> FreshAdminAsync()
    {
        _admin = null;
        return await AdminAsync();
    }

    public async Task<HttpResponseMessage> PostAsync(string path, object body, HttpClient? client = null) =>
        await (client ?? await AdminAsync()).PostAsJsonAsync(path, body);

    public Task<HttpResponseMessage> InviteAsync(Tenant tenant, string email, string[]? roles = null, HttpClient? client = null) =>
        PostAsync("/api/v1/new-user-invitation/invite-user", new { tenantId = tenant.Id, email, rolesToAssign = roles ?? [] }, client);

    /// <summary>Invites and returns the invitation id and the link of the <paramref name="count"/>-th invitation email.</summary>
    public async Task<(string InvitationId, string Link)> InviteNewAsync(Tenant tenant, string email, string[]? roles = null, int count = 1)
    {
        using var response = await InviteAsync(tenant, email, roles);
        var body = await BodyAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToString());
        var id = body.GetProperty("newUserInvitationRequest").GetProperty("id").GetString()!;
        return (id, await LinkAsync(tenant, email, EmailTypes.NewUserInvitation, count));
    }

    public async Task<(string InvitationId, string Link)> InviteExistingAsync(Tenant tenant, User user, int count = 1)
    {
        using var response = await PostAsync("/api/v1/existing-user-invitation/invite-user", new { userId = user.Id });
        var body = await BodyAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToString());
        var id = body.GetProperty("existingUserInvitationRequest").GetProperty("id").GetString()!;
        return (id, await LinkAsync(tenant, user.Email, EmailTypes.ExistingUserInvitation, count));
    }

    public async Task<string> LinkAsync(Tenant tenant, string email, string type, int count = 1)
    {
        var message = await factory.Emails.WaitForAsync(email, type, count);
        var path = type == EmailTypes.NewUserInvitation ? "/accept-invite" : "/accept-existing-invite";
        return CapturingEmailSender.Link(message, $"https://{LanyardFactory.TenantHost(tenant.Name)}{path}?code=");
    }

    public static string CodeOf(string link) => OAuthFlow.Query(new Uri(link))["code"];

    public HttpClient Browser(Tenant tenant) => factory.ClientFor(LanyardFactory.TenantHost(tenant.Name));

    /// <summary>GETs the hosted form at <paramref name="url"/> and posts <paramref name="fields"/> with its antiforgery token.</summary>
    public static async Task<HttpResponseMessage> SubmitAsync(HttpClient browser, string url, Dictionary<string, string> fields)
    {
        using var page = await browser.GetAsync(url);
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, html);
        var form = new Dictionary<string, string>(fields) { ["__lanyard_af"] = Hidden(html, "__lanyard_af") };
        return await browser.PostAsync(url, new FormUrlEncodedContent(form));
    }

    public static Dictionary<string, string> PasswordForm(string password = Password) =>
        new() { ["Input.Password"] = password, ["Input.PasswordConfirmation"] = password };

    public static async Task<JsonElement> BodyAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<string?> ErrorCodeAsync(HttpResponseMessage response) =>
        (await BodyAsync(response)).GetProperty("code").GetString();

    public static async Task<IReadOnlyList<string>> ViolationsAsync(HttpResponseMessage response, string field)
    {
        var body = await BodyAsync(response);
        Assert.Equal("constraint_violations_error", body.GetProperty("type").GetString());
        return body.GetProperty("violations").TryGetProperty(field, out var list)
            ? [.. list.EnumerateArray().Select(v => v.GetProperty("code").GetString()!)]
            : [];
    }

    public async Task<User> UserAsync(Tenant tenant, string email)
    {
        await using var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id);
        return await LanyardFactory.Db(scope).Users.AsNoTracking().SingleAsync(u => u.NormalizedEmail == email.ToLowerInvariant());
    }

    public async Task<bool> UserExistsAsync(Tenant tenant, string email)
    {
        await using var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id);
        return await LanyardFactory.Db(scope).Users.AnyAsync(u => u.NormalizedEmail == email.ToLowerInvariant());
    }

    public async Task<Lanyard.Server.Features.Workflows.InvitationRequest> InvitationAsync(Tenant tenant, string id)
    {
        await using var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id);
        return await LanyardFactory.Db(scope).InvitationRequests.AsNoTracking().SingleAsync(i => i.Id == id);
    }

    public async Task<IReadOnlyList<string>> RoleIdsAsync(Tenant tenant, string userId)
    {
        await using var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id);
        return await LanyardFactory.Db(scope).UserRoles.Where(r => r.UserId == userId).Select(r => r.RoleId).ToListAsync();
    }

    /// <summary>A role of the application (<paramref name="tenant"/> null) or of one tenant.</summary>
    public async Task<string> CreateRoleAsync(Tenant? tenant = null)
    {
        await factory.StartAsync();
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId, tenant?.Id);
        var db = LanyardFactory.Db(scope);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var role = new Role
        {
            Id = LanyardId.New(factory.Time),
            TenantId = tenant?.Id,
            Name = tenant is null ? $"app:test:viewer{suffix}" : $"tnt:{tenant.Name}:admin{suffix}",
            DisplayName = "Test role",
        };
        db.Roles.Add(role);
        await db.SaveChangesAsync();
        return role.Id;
    }

    public async Task<User> CreateUserAsync(Tenant tenant, string email, string? password, UserStatus status)
    {
        await using var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id);
        var result = await scope.ServiceProvider.GetRequiredService<CreateUser>()
            .ExecuteAsync(new CreateUserRequest(email, password, Status: status), CancellationToken.None);
        return Assert.IsType<CreateUserResult.Created>(result).User;
    }

    public async Task SetTenantStatusAsync(Tenant tenant, TenantStatus status)
    {
        await using var scope = factory.ScopeFor(tenant.ApplicationId);
        var db = LanyardFactory.Db(scope);
        var row = await db.Tenants.AsTracking().SingleAsync(t => t.Id == tenant.Id);
        row.Status = status;
        await db.SaveChangesAsync();
    }

    /// <summary>An API client holding a token of a machine-to-machine client without any role: authenticated, no permission.</summary>
    public async Task<HttpClient> PowerlessApiAsync()
    {
        var flow = new OAuthFlow(factory);
        var client = await flow.CreateClientAsync(OAuthClientType.MachineToMachine, "https://m2m.example/cb");
        using var response = await flow.TokenRequestAsync(client, new Dictionary<string, string> { ["grant_type"] = "client_credentials" });
        var token = await OAuthFlow.ReadTokensAsync(response);
        var api = factory.ClientFor(LanyardFactory.ApplicationHost);
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.AccessToken);
        return api;
    }

    public static async Task<string> ErrorTextAsync(HttpResponseMessage response)
    {
        var html = await response.Content.ReadAsStringAsync();
        var match = Regex.Match(html, "data-testid=\"error\">([^<]*)<", RegexOptions.CultureInvariant);
        return match.Success ? System.Net.WebUtility.HtmlDecode(match.Groups[1].Value) : "";
    }

    private static string Hidden(string html, string name)
    {
        var match = Regex.Match(html, $"<input[^>]*name=\"{Regex.Escape(name)}\"[^>]*value=\"([^\"]*)\"", RegexOptions.CultureInvariant);
        Assert.True(match.Success, $"no {name} on the page");
        return System.Net.WebUtility.HtmlDecode(match.Groups[1].Value);
    }
}
