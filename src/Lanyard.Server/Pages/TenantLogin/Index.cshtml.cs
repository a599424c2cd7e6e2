using System.ComponentModel.DataAnnotations;
using Lanyard.Server.Common;
using Lanyard.Server.Features.IdentityProviders;
using Lanyard.Server.Features.Login;
using Lanyard.Server.Features.PasswordReset;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Sessions;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Pages.TenantLogin;

/// <summary>
/// The tenant's hosted login page (built-in identity provider). Every failure — unknown account, wrong
/// password, inactive account, locked account — gets the same words, status and (through a dummy hash)
/// the same time, so the page never says whether an account exists. The one deliberate exception is
/// missing-password remediation (see <c>docs/workflows/password-reset.md</c>): an active account without a
/// password is told so and sent a link to set one, unless the login workflow policy turns that off.
/// </summary>
[HostKind(HostKind.Tenant)]
internal sealed partial class IndexModel(
    LanyardDbContext db, PasswordHasher hasher, SessionCookie sessions, LoginThrottle throttle, PasswordResets resets, PolicyResolver policies,
    ILogger<IndexModel> logger) : PageModel
{
    public const string FailureMessage = "The email, username or password is incorrect.";

    [BindProperty]
    public LoginInput Input { get; set; } = new();

    public string Brand => HttpContext.RequiredTenant().DisplayName;

    /// <summary>The tenant's logo (page branding arrives with the policy system); only https URLs are shown.</summary>
    public string? LogoUrl => HttpContext.RequiredTenant().LogoUrl is { } url && url.StartsWith("https://", StringComparison.Ordinal) ? url : null;

    public string? ErrorMessage { get; private set; }

    /// <summary>The "forgot password" link, carrying the authorization request and the typed identifier so the user can come back.</summary>
    public string ForgotPasswordUrl => WithQuery("/forgot-password", ("return_url", SafeReturnUrl), ("login_hint", Input.Identifier?.Trim()));

    /// <summary>The tenant's self-signup page, when the tenant allows signing up.</summary>
    public string? SignupUrl => HttpContext.RequiredTenant().SignupEnabled ? WithQuery("/signup", ("return_url", SafeReturnUrl)) : null;

    public bool SignedIn { get; private set; }

    /// <summary>The account has no password yet; a link to set one has been emailed.</summary>
    public bool MissingPassword { get; private set; }

    /// <summary>The password is on the common/breached list and the policy requires a reset: a link to set a new one has been emailed.</summary>
    public bool PasswordResetRequired { get; private set; }

    private string? SafeReturnUrl => ReturnUrls.IsAuthorizeUrl(Input.ReturnUrl) ? Input.ReturnUrl : null;

    public void OnGet([FromQuery(Name = "return_url")] string? returnUrl, [FromQuery(Name = "login_hint")] string? loginHint)
    {
        Input = new LoginInput { ReturnUrl = ReturnUrls.IsAuthorizeUrl(returnUrl) ? returnUrl : null, Identifier = loginHint?.Trim() };
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var tenant = HttpContext.RequiredTenant();
        var identifier = Input.Identifier?.Trim() ?? "";
        var password = Input.Password ?? "";
        Input.Password = null;
        if (identifier.Length is 0 or > 200 || password.Length is 0 or > 1024)
        {
            ErrorMessage = FailureMessage;
            return Page();
        }

        var verdict = await throttle.CountAttemptAsync(tenant.Id, identifier, HttpContext.Connection.RemoteIpAddress?.ToString(), cancellationToken);
        if (verdict == ThrottleVerdict.AddressThrottled)
        {
            ErrorMessage = "Too many sign-in attempts from your network. Wait a few minutes and try again.";
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return Page();
        }

        var key = Normalize.Key(identifier);
        var user = await db.Users.AsTracking()
            .Where(u => u.IdentityProviderName == IdentityProvider.BuiltInName && (u.NormalizedEmail == key || u.NormalizedUsername == key))
            .FirstOrDefaultAsync(cancellationToken);

        // Always run the hash, whatever is known already: the response time must not tell.
        var verification = await hasher.VerifyAsync(password, user?.PasswordHash, cancellationToken);
        if (verdict == ThrottleVerdict.Allowed && user is { Status: UserStatus.Active, PasswordHash: null }
            && (await policies.GetAsync<LoginWorkflowPolicy>(PolicyKind.LoginWorkflow, cancellationToken: cancellationToken)).MissingPasswordRemediation)
        {
            await resets.SendResetEmailAsync(HttpContext.RequiredApplication(), tenant, user, PasswordResets.ContextFromReturnUrl(SafeReturnUrl), cancellationToken);
            Remediated(logger, tenant.Id, user.Id);
            MissingPassword = true;
            return Page();
        }

        if (verdict == ThrottleVerdict.AccountLocked || user is null || user.Status != UserStatus.Active || verification == PasswordVerification.Failed)
        {
            LoginFailed(logger, tenant.Id, verdict == ThrottleVerdict.AccountLocked ? "locked" : "credentials");
            ErrorMessage = FailureMessage;
            return Page();
        }

        if (verification == PasswordVerification.SucceededRehashNeeded)
        {
            user.PasswordHash = await hasher.HashAsync(password, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
        }

        // The password is right but the password policy now calls it breached (REQUIRE_PASSWORD_RESET): no
        // session on it; the user is sent a link to set a new one, as with a missing password.
        if (PasswordRules.ResetRequiredAtLogin(await policies.PasswordAsync(cancellationToken), password))
        {
            await resets.SendResetEmailAsync(HttpContext.RequiredApplication(), tenant, user, PasswordResets.ContextFromReturnUrl(SafeReturnUrl), cancellationToken);
            BreachedPasswordRemediated(logger, tenant.Id, user.Id);
            PasswordResetRequired = true;
            return Page();
        }

        await throttle.ClearAccountAsync(tenant.Id, identifier, cancellationToken);
        await sessions.StartAsync(HttpContext, user.Id, ["pwd"], cancellationToken);
        LoginSucceeded(logger, tenant.Id, user.Id);

        if (ReturnUrls.IsAuthorizeUrl(Input.ReturnUrl))
        {
            // 303: the browser must follow with a GET, never re-POST the credentials (RFC 9700 §4.12).
            Response.Headers.Location = Input.ReturnUrl;
            return StatusCode(StatusCodes.Status303SeeOther);
        }

        SignedIn = true;
        return Page();
    }

    private static string WithQuery(string path, params (string Name, string? Value)[] parameters) =>
        QueryHelpers.AddQueryString(path, parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => new KeyValuePair<string, string?>(p.Name, p.Value)));

    public sealed class LoginInput
    {
        [Display(Name = "Email or username")]
        public string? Identifier { get; set; }

        [DataType(DataType.Password)]
        public string? Password { get; set; }

        public string? ReturnUrl { get; set; }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Login succeeded in tenant {TenantId} for user {UserId}")]
    private static partial void LoginSucceeded(ILogger logger, string tenantId, string userId);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Login failed in tenant {TenantId} ({Reason})")]
    private static partial void LoginFailed(ILogger logger, string tenantId, string reason);

    [LoggerMessage(EventId = 7403, Level = LogLevel.Information, Message = "Login in tenant {TenantId}: user {UserId} has a breached password; a link to set a new one was sent")]
    private static partial void BreachedPasswordRemediated(ILogger logger, string tenantId, string userId);

    [LoggerMessage(EventId = 7109, Level = LogLevel.Information, Message = "Login in tenant {TenantId}: user {UserId} has no password; a link to set one was offered")]
    private static partial void Remediated(ILogger logger, string tenantId, string userId);
}
