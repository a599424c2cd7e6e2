using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Authorize;
using Lanyard.Server.Features.Login;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Sessions;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Mfa;

/// <summary>A live MFA token: the session it names and the step that session owes.</summary>
internal sealed record MfaTokenInfo(WorkflowCode Code, WorkflowContext Context, MfaStep Step);

/// <summary>
/// How a self-hosted MFA page finishes a login. Authorize sends a session that owes its second factor to the
/// MFA policy's self-hosted page with an <c>mfa_token</c>: single use, ten minutes, stored as its SHA-256,
/// bound to the tenant, the user, the pending session and the step. The page's backend passes it to
/// <c>verify-challenge</c> or <c>verify-totp-enrollment</c>; on success the token is spent and a five-minute,
/// single-use auth-session code comes back with the URL of <c>GET /api/v1/mfa/create-auth-session</c> on the
/// tenant host. There, and only in the browser that holds the pending session, the session is moved to a new
/// handle that records the factors, and the browser continues with the authorize request that asked for MFA.
/// </summary>
internal sealed class MfaHandoff(LanyardDbContext db, WorkflowCodes codes)
{
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(10);

    public const string TokenParameter = "mfa_token";

    public const string CreateAuthSessionPath = "/api/v1/mfa/create-auth-session";

    /// <summary>The <see cref="WorkflowContext.Workflow"/> of an MFA auth-session code: no other workflow's handoff accepts it, nor this one theirs.</summary>
    public const string WorkflowName = "mfa";

    private const string ChallengeStep = "CHALLENGE";
    private const string EnrollmentStep = "ENROLLMENT";

    /// <summary>Longer authorize URLs are not kept (the context column is bounded); the login then resumes at the client's login URL.</summary>
    private const int MaxReturnUrlLength = 3000;

    public static string StepName(MfaStep step) => step == MfaStep.Challenge ? ChallengeStep : EnrollmentStep;

    /// <summary>The self-hosted page URL of the policy, if it is an absolute https URL once the tenant is substituted.</summary>
    public static string? SelfHostedPage(MfaPolicy policy, Tenant tenant)
    {
        if (string.IsNullOrWhiteSpace(policy.SelfHostedPageUrl))
        {
            return null;
        }

        var url = RedirectUris.Substitute(policy.SelfHostedPageUrl, tenant);
        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
            && string.IsNullOrEmpty(uri.UserInfo) && string.IsNullOrEmpty(uri.Fragment)
            ? url
            : null;
    }

    /// <summary>Issues an MFA token for <paramref name="session"/> and returns the self-hosted page's URL carrying it.</summary>
    public async Task<string> SelfHostedRedirectAsync(
        string pageUrl, string? pageTemplate, Tenant tenant, AuthSession session, MfaStep step, string returnUrl, string? clientId, CancellationToken cancellationToken)
    {
        var context = new WorkflowContext(
            ClientId: clientId, Workflow: StepName(step), SessionId: session.Id, ReturnUrl: returnUrl.Length <= MaxReturnUrlLength ? returnUrl : null);
        var token = await codes.IssueAsync(tenant.Id, session.UserId, WorkflowPurpose.MfaToken, TokenLifetime, context, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);

        var parameters = new List<KeyValuePair<string, string?>> { new(TokenParameter, token), new("step", StepName(step)) };
        if (pageTemplate is null || !RedirectUris.IsTemplate(pageTemplate))
        {
            parameters.AddRange(RedirectUris.TenantParameters(tenant, null));
        }

        return RedirectUris.AppendQuery(pageUrl, parameters);
    }

    /// <summary>A live MFA token, without using it; null for anything else (expired, used, not an MFA token).</summary>
    public async Task<MfaTokenInfo?> PeekAsync(string? token, CancellationToken cancellationToken)
    {
        var code = await codes.PeekAsync(token, WorkflowPurpose.MfaToken, cancellationToken);
        if (code is null)
        {
            return null;
        }

        var context = WorkflowCodes.ReadContext(code);
        return context.Workflow switch
        {
            ChallengeStep => new MfaTokenInfo(code, context, MfaStep.Challenge),
            EnrollmentStep => new MfaTokenInfo(code, context, MfaStep.Enrollment),
            _ => null,
        };
    }

    /// <summary>
    /// Spends the MFA token after its step was passed and issues the auth-session code that upgrades the session.
    /// Null when the token was spent meanwhile (a parallel request won).
    /// </summary>
    public async Task<(string Url, string Code)?> CompleteAsync(
        Application application, Tenant tenant, string token, IReadOnlyList<string> amr, CancellationToken cancellationToken)
    {
        var consumed = await codes.ConsumeAsync(token, WorkflowPurpose.MfaToken, cancellationToken);
        if (consumed is null || consumed.TenantId != tenant.Id)
        {
            return null;
        }

        var context = WorkflowCodes.ReadContext(consumed) with { Workflow = WorkflowName, Amr = [.. amr] };
        var code = await codes.IssueAsync(tenant.Id, consumed.UserId, WorkflowPurpose.AuthSession, AuthSessionHandoff.CodeLifetime, context, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        var url = RedirectUris.AppendQuery($"https://{application.TenantHost(tenant)}{CreateAuthSessionPath}", [new(AuthSessionHandoff.CodeParameter, code)]);
        return (url, code);
    }

    public static void MapCreateAuthSessionEndpoint(IEndpointRouteBuilder routes) =>
        routes.MapGet(CreateAuthSessionPath, CreateAuthSessionAsync).OnHost(HostKind.Tenant).ExcludeFromDescription();

    /// <summary>
    /// <c>GET /api/v1/mfa/create-auth-session?auth_session_code=…</c> on the tenant host. The code is spent first;
    /// then it must be an MFA code of this tenant whose pending session is the one this browser holds, for the same
    /// user: a leaked or forwarded link upgrades nobody's session but the one that passed MFA.
    /// </summary>
    private static async Task<IResult> CreateAuthSessionAsync(
        HttpContext http, WorkflowCodes codes, SessionCookie sessions, LanyardDbContext db, PolicyResolver policies, CancellationToken cancellationToken)
    {
        http.Response.Headers.CacheControl = "no-store";
        var application = http.RequiredApplication();
        var tenant = http.RequiredTenant();
        var code = await codes.ConsumeAsync(http.Request.Query[AuthSessionHandoff.CodeParameter].ToString(), WorkflowPurpose.AuthSession, cancellationToken);
        var context = code is null ? null : WorkflowCodes.ReadContext(code);
        var session = await sessions.ReadAsync(http, cancellationToken);
        var bound = code is not null && code.TenantId == tenant.Id && context!.Workflow == WorkflowName
            && session is not null && session.Id == context.SessionId && session.UserId == code.UserId;
        var active = bound && await db.Users.AnyAsync(u => u.Id == code!.UserId && u.Status == UserStatus.Active, cancellationToken);
        if (!active)
        {
            return ErrorPage.Render("This link has expired, has already been used or belongs to another sign-in. Sign in to continue.", application, tenant);
        }

        await sessions.AddAmrAsync(http, session!, context!.Amr ?? [MfaGate.MfaAmr], cancellationToken);
        var destination = ReturnUrls.IsAuthorizeUrl(context.ReturnUrl)
            ? context.ReturnUrl!
            : await AuthSessionHandoff.FinalRedirectAsync(application, tenant, WorkflowName, context, db, policies, cancellationToken);
        return TypedResults.Redirect(destination);
    }
}
