using Lanyard.Server.Features.IdentityProviders;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Sessions;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Mfa;

/// <summary>What a signed-in session still has to do before an authorization code may be issued.</summary>
internal enum MfaStep
{
    /// <summary>The user has an authenticator: prove it.</summary>
    Challenge,

    /// <summary>The policy requires MFA and the user has none yet: enroll now.</summary>
    Enrollment,
}

/// <summary>
/// Decides, at the moment a code would be issued, whether the session has passed MFA. Nothing about MFA
/// is cached in the session except the <c>amr</c> value <c>mfa</c> that a completed challenge or enrollment
/// adds: the requirement is computed from the user's current factors and the policy in force now (a stale
/// flag is how second factors get skipped elsewhere). Only users of the built-in identity provider are
/// subject to it; external identity providers enforce their own MFA.
/// </summary>
internal sealed class MfaGate(LanyardDbContext db, PolicyResolver policies, MfaHandoff handoff)
{
    public const string MfaAmr = "mfa";

    public async Task<MfaStep?> RequiredStepAsync(User user, AuthSession session, CancellationToken cancellationToken)
    {
        if (session.Amr.Contains(MfaAmr) || user.IdentityProviderName != IdentityProvider.BuiltInName)
        {
            return null;
        }

        var policy = await policies.GetAsync<MfaPolicy>(PolicyKind.Mfa, cancellationToken: cancellationToken);
        if (!policy.TotpEnabled)
        {
            return null;
        }

        var enrolled = await db.Set<MfaFactor>().AnyAsync(
            f => f.UserId == user.Id && f.Type == MfaFactorType.Totp && f.Status == MfaFactorStatus.Active, cancellationToken);
        if (enrolled)
        {
            return MfaStep.Challenge;
        }

        return policy.EnrollmentRequired ? MfaStep.Enrollment : null;
    }

    /// <summary>
    /// Where a session that owes <paramref name="step"/> is sent: the MFA policy's self-hosted page with a new MFA
    /// token when the policy names one, else the hosted page. Both come back to <paramref name="returnUrl"/>.
    /// </summary>
    public async Task<string> RedirectAsync(
        Tenants.Tenant tenant, AuthSession session, MfaStep step, string returnUrl, string? clientId, CancellationToken cancellationToken)
    {
        var policy = await policies.GetAsync<MfaPolicy>(PolicyKind.Mfa, cancellationToken: cancellationToken);
        return MfaHandoff.SelfHostedPage(policy, tenant) is { } page
            ? await handoff.SelfHostedRedirectAsync(page, policy.SelfHostedPageUrl, tenant, session, step, returnUrl, clientId, cancellationToken)
            : PagePath(step, returnUrl);
    }

    /// <summary>The hosted page of a step, coming back to <paramref name="returnUrl"/> (a local authorize URL) when done.</summary>
    public static string PagePath(MfaStep step, string? returnUrl) =>
        Authorize.RedirectUris.AppendQuery(step == MfaStep.Challenge ? "/mfa/challenge" : "/mfa/enroll", [new("return_url", returnUrl)]);
}
