using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Authorize;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;

namespace Lanyard.Server.Features.Workflows;

/// <summary>
/// Sends a workflow's action email: issues the code, builds the link and puts the rendered email into the
/// outbox, all in the caller's unit of work. Links are built from the application's configured vanity
/// domain and the tenant's name (or the email policy's self-hosted page), never from the request's
/// <c>Host</c> or <c>X-Forwarded-Host</c>: a forged header cannot send a victim's code to another site.
/// The caller must be in the tenant's scope (the email policy and branding are resolved for it).
/// </summary>
internal sealed class WorkflowMail(WorkflowCodes codes, PolicyResolver policies, EmailOutbox outbox, TimeProvider time)
{
    /// <summary>The hosted page of each email type on the tenant host.</summary>
    public static string HostedPath(string emailType) => emailType switch
    {
        EmailTypes.UserActivation => "/activate",
        EmailTypes.EmailVerification => "/verify-email",
        EmailTypes.PasswordReset => "/reset-password",
        EmailTypes.NewUserInvitation => "/accept-invite",
        EmailTypes.ExistingUserInvitation => "/accept-existing-invite",
        _ => throw new ArgumentOutOfRangeException(nameof(emailType), emailType, "This email type has no action page."),
    };

    public static WorkflowPurpose Purpose(string emailType) => emailType switch
    {
        EmailTypes.UserActivation => WorkflowPurpose.UserActivation,
        EmailTypes.EmailVerification => WorkflowPurpose.EmailVerification,
        EmailTypes.PasswordReset => WorkflowPurpose.PasswordReset,
        EmailTypes.NewUserInvitation => WorkflowPurpose.NewUserInvitation,
        EmailTypes.ExistingUserInvitation => WorkflowPurpose.ExistingUserInvitation,
        _ => throw new ArgumentOutOfRangeException(nameof(emailType), emailType, "This email type has no code."),
    };

    /// <summary>Issues a code of the email type's purpose and enqueues the email with its link. Returns the code's expiry.</summary>
    public async Task<DateTimeOffset> SendActionEmailAsync(
        Application application, Tenant tenant, User user, string emailType, WorkflowContext? context, CancellationToken cancellationToken)
    {
        var policy = await policies.EmailAsync(emailType, cancellationToken);
        var lifetime = policy.Lifetime(emailType);
        var code = await codes.IssueAsync(tenant.Id, user.Id, Purpose(emailType), lifetime, context, cancellationToken);
        var expiresAt = time.GetUtcNow() + lifetime;
        var link = ActionLink(application, tenant, policy, emailType, code);
        var brand = await BrandAsync(application, tenant, cancellationToken);
        var email = emailType switch
        {
            EmailTypes.UserActivation => EmailTemplates.UserActivation(brand, link, expiresAt),
            EmailTypes.EmailVerification => EmailTemplates.EmailVerification(brand, link, expiresAt),
            EmailTypes.PasswordReset => EmailTemplates.PasswordReset(brand, link, expiresAt),
            EmailTypes.NewUserInvitation => EmailTemplates.NewUserInvitation(brand, link, expiresAt),
            EmailTypes.ExistingUserInvitation => EmailTemplates.ExistingUserInvitation(brand, link, expiresAt),
            _ => throw new ArgumentOutOfRangeException(nameof(emailType), emailType, "This email type has no action link."),
        };
        outbox.Enqueue(email, user.Email, tenant.Id);
        return expiresAt;
    }

    /// <summary>A notice without a code (e.g. "your password was changed").</summary>
    public async Task SendPasswordChangedAsync(Application application, Tenant tenant, User user, CancellationToken cancellationToken)
    {
        var brand = await BrandAsync(application, tenant, cancellationToken);
        outbox.Enqueue(EmailTemplates.PasswordChanged(brand, $"https://{application.TenantHost(tenant)}/login"), user.Email, tenant.Id);
    }

    public async Task<EmailBrand> BrandAsync(Application application, Tenant tenant, CancellationToken cancellationToken)
    {
        var branding = await policies.GetAsync<EmailBrandingPolicy>(PolicyKind.EmailBranding, cancellationToken: cancellationToken);
        var name = string.IsNullOrWhiteSpace(tenant.DisplayName) ? application.DisplayName : tenant.DisplayName;
        return new EmailBrand(name, branding.LogoUrl ?? tenant.LogoUrl, branding.PrimaryButtonColor, branding.PrimaryButtonFontColor,
            branding.PrimaryButtonBorderRadiusPixels ?? 6, branding.LogoHeightPixels ?? 48, branding.LogoWidthPixels);
    }

    private static string ActionLink(Application application, Tenant tenant, EmailPolicy policy, string emailType, string code)
    {
        var page = policy.ActionLinkUrl is { Length: > 0 } custom
            ? RedirectUris.Substitute(custom, tenant)
            : $"https://{application.TenantHost(tenant)}{HostedPath(emailType)}";
        return RedirectUris.AppendQuery(page, [new("code", code)]);
    }
}
