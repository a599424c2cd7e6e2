using System.Net;
using System.Net.Http.Json;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Workflows;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Invitations;

/// <summary>New-user invitations, the sending side: invite, its answer and email, supersession, cancellation, the list, limits and who may call.</summary>
public abstract class NewUserInvitationTests(LanyardFactory factory)
{
    private readonly InvitationKit _kit = new(factory);
    private readonly OAuthFlow _flow = new(factory);

    [Fact]
    public async Task The_invite_response_has_wristbands_shape_and_the_expiry_of_the_email_policy()
    {
        var admin = await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var email = InvitationKit.NewEmail();

        using var response = await admin.PostAsJsonAsync("/api/v1/new-user-invitation/invite-user",
            new { tenantId = tenant.Id, email, rolesToAssign = Array.Empty<string>(), language = "en-US", inviteeName = "Ann Example" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var invitation = (await InvitationKit.BodyAsync(response)).GetProperty("newUserInvitationRequest");
        Assert.Equal(tenant.Id, invitation.GetProperty("tenantId").GetString());
        Assert.Equal(factory.Bootstrap.ApplicationId, invitation.GetProperty("applicationId").GetString());
        Assert.Equal("EMAIL", invitation.GetProperty("invitationType").GetString());
        Assert.Equal("Ann Example", invitation.GetProperty("inviteeName").GetString());
        Assert.Equal(email, invitation.GetProperty("email").GetString());
        Assert.Equal("PENDING_INVITE_ACCEPTANCE", invitation.GetProperty("status").GetString());
        Assert.Equal(0, invitation.GetProperty("rolesToAssign").GetArrayLength());
        var expires = invitation.GetProperty("expirationTime").GetDateTimeOffset();
        Assert.InRange(expires - factory.Time.GetUtcNow(), TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));
        Assert.True(invitation.GetProperty("metadata").TryGetProperty("creationTime", out _));

        // A tenant's email policy sets the lifetime.
        await factory.SetPolicyAsync(PolicyKind.Email, "{\"actionLinkLifetime\":2,\"actionLinkLifetimeUnit\":\"DAYS\"}", tenant, EmailTypes.NewUserInvitation);
        using var second = await _kit.InviteAsync(tenant, InvitationKit.NewEmail());
        var shorter = (await InvitationKit.BodyAsync(second)).GetProperty("newUserInvitationRequest").GetProperty("expirationTime").GetDateTimeOffset();
        Assert.InRange(shorter - factory.Time.GetUtcNow(), TimeSpan.FromDays(2) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(2) + TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task A_forged_forwarded_host_still_mails_the_configured_link()
    {
        var admin = await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var email = InvitationKit.NewEmail();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/new-user-invitation/invite-user")
        {
            Content = JsonContent.Create(new { tenantId = tenant.Id, email, rolesToAssign = Array.Empty<string>() }),
        };
        request.Headers.Add("X-Forwarded-Host", "evil.example");
        request.Headers.Add("X-Forwarded-Proto", "http");

        using var response = await admin.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var message = await factory.Emails.WaitForAsync(email, EmailTypes.NewUserInvitation);
        Assert.DoesNotContain("evil.example", message.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("evil.example", message.HtmlBody, StringComparison.Ordinal);
        Assert.Contains($"https://{LanyardFactory.TenantHost(tenant.Name)}/accept-invite?code=", message.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_invitation_supersedes_the_first_and_the_old_link_fails()
    {
        await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var email = InvitationKit.NewEmail();

        var (firstId, firstLink) = await _kit.InviteNewAsync(tenant, email);
        var firstUser = await _kit.UserAsync(tenant, email);
        var (secondId, secondLink) = await _kit.InviteNewAsync(tenant, email, count: 2);

        Assert.Equal(InvitationStatus.Canceled, (await _kit.InvitationAsync(tenant, firstId)).Status);
        Assert.Equal(InvitationStatus.PendingInviteAcceptance, (await _kit.InvitationAsync(tenant, secondId)).Status);
        Assert.Equal(firstUser.Id, (await _kit.UserAsync(tenant, email)).Id);

        var browser = _kit.Browser(tenant);
        using var old = await browser.GetAsync(firstLink);
        Assert.Equal(HttpStatusCode.BadRequest, old.StatusCode);
        using var oldApi = await _kit.PostAsync("/api/v1/new-user-invitation/accept-invite", new { emailAuthCode = InvitationKit.CodeOf(firstLink), password = InvitationKit.Password });
        Assert.Contains("invalid_email_auth_code", await InvitationKit.ViolationsAsync(oldApi, "emailAuthCode"));

        using var accepted = await InvitationKit.SubmitAsync(browser, secondLink, InvitationKit.PasswordForm());
        Assert.Equal(HttpStatusCode.SeeOther, accepted.StatusCode);
    }

    [Fact]
    public async Task Cancelling_deletes_the_pending_user_and_the_link_fails()
    {
        await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var email = InvitationKit.NewEmail();
        var (id, link) = await _kit.InviteNewAsync(tenant, email);

        using var cancel = await _kit.PostAsync("/api/v1/new-user-invitation/cancel-invite", new { newUserInvitationRequestId = id });

        Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
        Assert.Equal(InvitationStatus.Canceled, (await _kit.InvitationAsync(tenant, id)).Status);
        Assert.False(await _kit.UserExistsAsync(tenant, email));
        using var page = await _kit.Browser(tenant).GetAsync(link);
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Equal(Pages.AcceptInvite.IndexModel.InvalidMessage, await InvitationKit.ErrorTextAsync(page));

        using var twice = await _kit.PostAsync("/api/v1/new-user-invitation/cancel-invite", new { newUserInvitationRequestId = id });
        Assert.Equal(HttpStatusCode.BadRequest, twice.StatusCode);
        Assert.Equal("invitation_not_pending", await InvitationKit.ErrorCodeAsync(twice));
        using var unknown = await _kit.PostAsync("/api/v1/new-user-invitation/cancel-invite", new { newUserInvitationRequestId = "a" + id[1..] });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("invitation_not_found", await InvitationKit.ErrorCodeAsync(unknown));
    }

    [Fact]
    public async Task Cancelling_a_completed_invitation_is_refused_and_keeps_the_user()
    {
        await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var email = InvitationKit.NewEmail();
        var (id, link) = await _kit.InviteNewAsync(tenant, email);
        using var accepted = await InvitationKit.SubmitAsync(_kit.Browser(tenant), link, InvitationKit.PasswordForm());
        Assert.Equal(HttpStatusCode.SeeOther, accepted.StatusCode);

        using var cancel = await _kit.PostAsync("/api/v1/new-user-invitation/cancel-invite", new { newUserInvitationRequestId = id });

        Assert.Equal("invitation_not_pending", await InvitationKit.ErrorCodeAsync(cancel));
        Assert.Equal(UserStatus.Active, (await _kit.UserAsync(tenant, email)).Status);
    }

    [Fact]
    public async Task Invite_refusals_unknown_or_inactive_tenant_bad_email_foreign_role_and_existing_user()
    {
        await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var other = await factory.CreateTenantAsync();
        var foreignRole = await _kit.CreateRoleAsync(other);

        using var unknownTenant = await _kit.PostAsync("/api/v1/new-user-invitation/invite-user", new { tenantId = "a" + tenant.Id[1..], email = InvitationKit.NewEmail() });
        Assert.Equal(HttpStatusCode.NotFound, unknownTenant.StatusCode);
        Assert.Equal("tenant_not_found", await InvitationKit.ErrorCodeAsync(unknownTenant));

        using var badEmail = await _kit.InviteAsync(tenant, "not-an-email");
        Assert.Contains("invalid_format", await InvitationKit.ViolationsAsync(badEmail, "email"));

        using var badRole = await _kit.InviteAsync(tenant, InvitationKit.NewEmail(), [foreignRole, "nosuchrole"]);
        var body = await InvitationKit.BodyAsync(badRole);
        var roleViolations = body.GetProperty("violations").GetProperty("rolesToAssign").EnumerateArray().ToList();
        Assert.Equal(2, roleViolations.Count);
        Assert.All(roleViolations, v => Assert.Equal("invalid_value", v.GetProperty("code").GetString()));
        Assert.Contains(roleViolations, v => v.GetProperty("constraintAttributes").GetProperty("roleId").GetString() == foreignRole);

        var activeEmail = InvitationKit.NewEmail();
        await factory.CreateUserAsync(tenant, activeEmail);
        using var existing = await _kit.InviteAsync(tenant, activeEmail.ToUpperInvariant());
        Assert.Contains("not_unique", await InvitationKit.ViolationsAsync(existing, "email"));
        Assert.Equal(0, await factory.Emails.CountAfterQuietAsync(activeEmail, TimeSpan.FromMilliseconds(200)));

        await _kit.SetTenantStatusAsync(other, TenantStatus.Inactive);
        using var inactive = await _kit.InviteAsync(other, InvitationKit.NewEmail());
        Assert.Equal(HttpStatusCode.BadRequest, inactive.StatusCode);
        Assert.Equal("tenant_not_active", await InvitationKit.ErrorCodeAsync(inactive));
    }

    [Fact]
    public async Task The_list_filters_by_status_pages_and_refuses_other_queries()
    {
        var admin = await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await _kit.InviteNewAsync(tenant, InvitationKit.NewEmail())).InvitationId);
            factory.Time.Advance(TimeSpan.FromMilliseconds(5)); // ids order by their millisecond
        }

        using (var cancel = await _kit.PostAsync("/api/v1/new-user-invitation/cancel-invite", new { newUserInvitationRequestId = ids[0] }))
        {
            Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
        }

        var basePath = $"/api/v1/tenants/{tenant.Id}/new-user-invitation-requests";
        var all = await InvitationKit.BodyAsync(await admin.GetAsync(basePath));
        Assert.Equal(3, all.GetProperty("totalResults").GetInt32());
        Assert.Equal(1, all.GetProperty("startIndex").GetInt32());
        Assert.Equal(3, all.GetProperty("itemsPerPage").GetInt32());

        var pending = await InvitationKit.BodyAsync(await admin.GetAsync(basePath + "?query=" + Uri.EscapeDataString("status eq \"PENDING_INVITE_ACCEPTANCE\"")));
        Assert.Equal(2, pending.GetProperty("totalResults").GetInt32());
        Assert.All(pending.GetProperty("items").EnumerateArray(), item => Assert.Equal("PENDING_INVITE_ACCEPTANCE", item.GetProperty("status").GetString()));

        var page2 = await InvitationKit.BodyAsync(await admin.GetAsync(basePath + "?start_index=2&count=1"));
        Assert.Equal(3, page2.GetProperty("totalResults").GetInt32());
        Assert.Equal(2, page2.GetProperty("startIndex").GetInt32());
        Assert.Equal(ids[1], Assert.Single(page2.GetProperty("items").EnumerateArray()).GetProperty("id").GetString());

        foreach (var bad in new[] { "email eq \"x@example.com\"", "status ne \"CANCELED\"", "status eq \"NOPE\"", "status eq PENDING_INVITE_ACCEPTANCE" })
        {
            using var response = await admin.GetAsync(basePath + "?query=" + Uri.EscapeDataString(bad));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("invalid_query", await InvitationKit.ErrorCodeAsync(response));
        }

        using var badCount = await admin.GetAsync(basePath + "?count=abc");
        Assert.Equal(HttpStatusCode.BadRequest, badCount.StatusCode);

        // Another tenant's list does not show these invitations.
        var other = await factory.CreateTenantAsync();
        var empty = await InvitationKit.BodyAsync(await admin.GetAsync($"/api/v1/tenants/{other.Id}/new-user-invitation-requests"));
        Assert.Equal(0, empty.GetProperty("totalResults").GetInt32());
    }

    [Fact]
    public async Task Too_many_invitations_to_one_email_are_refused_with_429()
    {
        await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var email = InvitationKit.NewEmail();
        for (var i = 0; i < 5; i++)
        {
            using var ok = await _kit.InviteAsync(tenant, email);
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        }

        using var refused = await _kit.InviteAsync(tenant, email);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("too_many_requests", await InvitationKit.ErrorCodeAsync(refused));
        Assert.Equal(5, await factory.Emails.CountAfterQuietAsync(email));

        // Another address of the same tenant is not affected.
        using var other = await _kit.InviteAsync(tenant, InvitationKit.NewEmail());
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
    }

    [Fact]
    public async Task Callers_without_the_permission_get_403_and_without_a_token_401()
    {
        await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var (id, link) = await _kit.InviteNewAsync(tenant, InvitationKit.NewEmail());
        var powerless = await _kit.PowerlessApiAsync();

        var calls = new (string Path, object Body)[]
        {
            ("/api/v1/new-user-invitation/invite-user", new { tenantId = tenant.Id, email = InvitationKit.NewEmail() }),
            ("/api/v1/new-user-invitation/cancel-invite", new { newUserInvitationRequestId = id }),
            ("/api/v1/new-user-invitation/accept-invite", new { emailAuthCode = InvitationKit.CodeOf(link), password = InvitationKit.Password }),
            ("/api/v1/new-user-invitation/introspect-email-auth-code", new { emailAuthCode = InvitationKit.CodeOf(link) }),
            ("/api/v1/existing-user-invitation/invite-user", new { userId = id }),
            ("/api/v1/existing-user-invitation/accept-invite", new { emailAuthCode = "x" }),
        };
        foreach (var (path, body) in calls)
        {
            using var response = await powerless.PostAsJsonAsync(path, body);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, path);
            Assert.Equal("forbidden", await InvitationKit.ErrorCodeAsync(response));
        }

        using var list = await powerless.GetAsync($"/api/v1/tenants/{tenant.Id}/new-user-invitation-requests");
        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        using var anonymous = await factory.ClientFor(LanyardFactory.ApplicationHost).PostAsJsonAsync(calls[0].Path, calls[0].Body);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        Assert.Equal(InvitationStatus.PendingInviteAcceptance, (await _kit.InvitationAsync(tenant, id)).Status);
    }

    [Fact]
    public async Task The_invitation_apis_do_not_exist_on_a_tenant_host_nor_the_pages_on_the_application_host()
    {
        var admin = await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var onTenant = factory.ClientFor(LanyardFactory.TenantHost(tenant.Name));
        onTenant.DefaultRequestHeaders.Authorization = admin.DefaultRequestHeaders.Authorization;

        using var api = await onTenant.PostAsJsonAsync("/api/v1/new-user-invitation/invite-user", new { tenantId = tenant.Id, email = InvitationKit.NewEmail() });
        Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
        using var page = await factory.ClientFor(LanyardFactory.ApplicationHost).GetAsync("/accept-invite?code=x");
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
    }
}

public sealed class NewUserInvitationOnSqlite(SqliteLanyard factory) : NewUserInvitationTests(factory), IClassFixture<SqliteLanyard>;

public sealed class NewUserInvitationOnPostgres(PostgresLanyard factory) : NewUserInvitationTests(factory), IClassFixture<PostgresLanyard>;
