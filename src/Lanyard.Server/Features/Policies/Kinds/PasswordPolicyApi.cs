using Lanyard.Server.Features.PasswordReset;
using Lanyard.Server.Features.Workflows;

namespace Lanyard.Server.Features.Policies;

/// <summary>
/// Wristband's password policy (<c>/password-policies</c>): length 8–64 (required on create), character
/// classes, and the offline breached-password check with its login remediation. Enforced by
/// <see cref="PasswordRules"/> wherever a password is set.
/// </summary>
internal sealed class PasswordPolicyApi : PolicyKindApi<PasswordPolicy>
{
    public override PolicyKind Kind => PolicyKind.Password;
    public override string Collection => "password-policies";
    public override string Resource => "password-policy";
    public override string Noun => "password policy";

    public override void Apply(PolicyFields fields, PasswordPolicy settings)
    {
        fields.RequiredOnCreate("minimumLength");
        fields.Int("minimumLength", PasswordRules.LowestMinimumLength, PasswordRules.HighestMinimumLength, v => settings.MinimumLength = v!.Value);
        fields.Bool("lowercaseCharRequired", v => settings.LowercaseCharRequired = v);
        fields.Bool("uppercaseCharRequired", v => settings.UppercaseCharRequired = v);
        fields.Bool("digitRequired", v => settings.DigitRequired = v);
        fields.Bool("specialCharRequired", v => settings.SpecialCharRequired = v);
        fields.Bool("breachedPwdDetectionEnabled", v => settings.BreachedPwdDetectionEnabled = v);
        fields.Enum<BreachedPasswordRemediation>("breachedPwdLoginRemediationStrategy", v => settings.BreachedPwdLoginRemediationStrategy = v);
    }
}
