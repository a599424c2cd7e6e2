using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Authorize;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Sessions;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Workflows;

/// <summary>The workflows that end in an auth session, with their path segment under <c>/api/v1</c>.</summary>
internal static class Workflow
{
    public const string Signup = "signup";
    public const string UserActivation = "user-activation";
    public const string EmailVerification = "email-verification";
    public const string PasswordReset = "password-reset";
    public const string NewUserInvitation = "new-user-invitation";
    public const string ExistingUserInvitation = "existing-user-invitation";

    public static IReadOnlyList<string> All { get; } =
        [Signup, UserActivation, EmailVerification, PasswordReset, NewUserInvitation, ExistingUserInvitation];
}

/// <summary>
/// The last step of every workflow that logs the user in. A workflow (often a workflow API called on the
/// application host by a self-hosted page) issues a short-lived, single-use auth-session code and sends the
/// browser to <c>GET /api/v1/{workflow}/create-auth-session</c> on the tenant host; that endpoint sets the
/// session cookie, which only the tenant host can set, and redirects to the application's login endpoint,
/// where the authorization code flow completes without asking for credentials again.
/// </summary>
internal sealed class AuthSessionHandoff(WorkflowCodes codes, TimeProvider time)
{
    /// <summary>Long enough for a browser redirect, short enough that a leaked URL is useless.</summary>
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(5);

    public const string CodeParameter = "auth_session_code";

    /// <summary>Issues the code (saved with the caller's unit of work) and returns the tenant-host URL that redeems it.</summary>
    public async Task<(string Url, string Code, DateTimeOffset ExpiresAt)> IssueAsync(
        Application application, Tenant tenant, string userId, string workflow, WorkflowContext context, CancellationToken cancellationToken)
    {
        var code = await codes.IssueAsync(tenant.Id, userId, WorkflowPurpose.AuthSession, CodeLifetime, context with { Workflow = workflow }, cancellationToken);
        var url = RedirectUris.AppendQuery($"https://{application.TenantHost(tenant)}/api/v1/{workflow}/create-auth-session", [new(CodeParameter, code)]);
        return (url, code, time.GetUtcNow() + CodeLifetime);
    }

    public static void MapCreateAuthSessionEndpoints(IEndpointRouteBuilder routes)
    {
        foreach (var workflow in Workflow.All)
        {
            routes.MapGet($"/api/v1/{workflow}/create-auth-session",
                    (HttpContext http, WorkflowCodes codes, LanyardDbContext db, SessionCookie sessions, PolicyResolver policies, CancellationToken cancellationToken) =>
                        CreateAuthSessionAsync(workflow, http, codes, db, sessions, policies, cancellationToken))
                .OnHost(HostKind.Tenant).ExcludeFromDescription();
        }
    }

    private static async Task<IResult> CreateAuthSessionAsync(
        string workflow, HttpContext http, WorkflowCodes codes, LanyardDbContext db, SessionCookie sessions, PolicyResolver policies,
        CancellationToken cancellationToken)
    {
        http.Response.Headers.CacheControl = "no-store";
        var application = http.RequiredApplication();
        var tenant = http.RequiredTenant();
        var code = await codes.ConsumeAsync(http.Request.Query[CodeParameter].ToString(), WorkflowPurpose.AuthSession, cancellationToken);
        var context = code is null ? null : WorkflowCodes.ReadContext(code);

        // A code from another tenant's flow (or another workflow) is as good as no code: it must not log anyone in here.
        var user = code is not null && code.TenantId == tenant.Id && context!.Workflow == workflow
            ? await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == code.UserId, cancellationToken)
            : null;
        if (user is not { Status: UserStatus.Active })
        {
            return ErrorPage.Render("This link has expired or has already been used. Sign in to continue.", application, tenant);
        }

        await sessions.StartAsync(http, user.Id, context!.Amr ?? ["pwd"], cancellationToken);
        var destination = await FinalRedirectAsync(application, tenant, workflow, context, db, policies, cancellationToken);
        return TypedResults.Redirect(destination);
    }

    /// <summary>
    /// The signup seed resolves the end of signup from the custom redirect URL of the signup workflow policy
    /// "at the Tenant level for the tenant which the user is signing up into", then the client's login URL,
    /// then the application's: an application-level custom redirect URL is therefore not consulted (an
    /// application-level signup creates a tenant that has no policy of its own yet, and lands on a login URL).
    /// </summary>
    private static async Task<string?> TenantSignupRedirectAsync(PolicyResolver policies, CancellationToken cancellationToken)
    {
        var resolved = await policies.ResolveAsync<SignupWorkflowPolicy>(PolicyKind.SignupWorkflow, cancellationToken: cancellationToken);
        return resolved.Source == PolicyOwnerType.Tenant ? resolved.Settings.CustomRedirectUrl : null;
    }

    /// <summary>
    /// Where the browser goes at the end of a workflow, in the documented order: the workflow policy's custom
    /// redirect URL (for signup and activation: only the tenant's own policy) → the login URL of the client
    /// the flow started from → the application's login URL → the tenant's hosted login page. <c>state</c> is appended unchanged; a login URL without a tenant
    /// placeholder gets the tenant as <c>tenant_name</c>/<c>tenant_domain</c>, as the SDKs expect.
    /// </summary>
    internal static async Task<string> FinalRedirectAsync(
        Application application, Tenant tenant, string workflow, WorkflowContext context, LanyardDbContext db, PolicyResolver policies,
        CancellationToken cancellationToken)
    {
        var custom = workflow switch
        {
            Workflow.Signup or Workflow.UserActivation or Workflow.EmailVerification => context.InvitationId is null
                ? await TenantSignupRedirectAsync(policies, cancellationToken)
                : (await policies.GetAsync<RedirectWorkflowPolicy>(PolicyKind.NewUserInvitationWorkflow, cancellationToken: cancellationToken)).CustomRedirectUrl,
            Workflow.PasswordReset => (await policies.GetAsync<RedirectWorkflowPolicy>(PolicyKind.PasswordResetWorkflow, cancellationToken: cancellationToken)).CustomRedirectUrl,
            Workflow.NewUserInvitation => (await policies.GetAsync<RedirectWorkflowPolicy>(PolicyKind.NewUserInvitationWorkflow, cancellationToken: cancellationToken)).CustomRedirectUrl,
            Workflow.ExistingUserInvitation => (await policies.GetAsync<RedirectWorkflowPolicy>(PolicyKind.ExistingUserInvitationWorkflow, cancellationToken: cancellationToken)).CustomRedirectUrl,
            _ => null,
        };
        if (!string.IsNullOrEmpty(custom))
        {
            return RedirectUris.AppendQuery(RedirectUris.Substitute(custom, tenant), [new("state", context.State)]);
        }

        string? loginUrl = null;
        if (context.ClientId is { } clientId)
        {
            loginUrl = await db.Clients.AsNoTracking().Where(c => c.Id == clientId).Select(c => c.LoginUrl).FirstOrDefaultAsync(cancellationToken);
        }

        loginUrl ??= application.LoginUrl;
        if (loginUrl is null)
        {
            return $"https://{application.TenantHost(tenant)}/login";
        }

        var parameters = new List<KeyValuePair<string, string?>>();
        if (!RedirectUris.IsTemplate(loginUrl))
        {
            parameters.AddRange(RedirectUris.TenantParameters(tenant, null));
        }

        parameters.Add(new("state", context.State));
        return RedirectUris.AppendQuery(RedirectUris.Substitute(loginUrl, tenant), parameters);
    }
}
