using System.Text.Json.Nodes;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Mfa;

namespace Lanyard.Server.Features.Policies;

/// <summary>
/// Wristband's MFA policy (<c>/mfa-policies</c>): which factors are allowed and whether enrollment is
/// required. Read by the MFA gate at login and by the MFA APIs.
/// </summary>
internal sealed class MfaPolicyApi : PolicyKindApi<MfaPolicy>
{
    private const int IssuerMaxLength = 100;

    public override PolicyKind Kind => PolicyKind.Mfa;
    public override string Collection => "mfa-policies";
    public override string Resource => "mfa-policy";
    public override string Noun => "MFA policy";

    public override void Apply(PolicyFields fields, MfaPolicy settings)
    {
        fields.Enum<MfaEnrollmentStrategy>("enrollmentStrategy", v => settings.EnrollmentStrategy = v);
        fields.PageUrl("selfHostedPageUrl", v => settings.SelfHostedPageUrl = v);
        if (fields.TryGet("allowedAuthFactors", out var factors))
        {
            ApplyFactors(factors, settings, fields.Violations);
        }

        if (fields.TryGet("totpSettings", out var totp))
        {
            ApplyTotpSettings(totp, settings, fields.Violations);
        }

        if (!fields.Violations.ByField.ContainsKey("allowedAuthFactors"))
        {
            if (settings.EnrollmentStrategy == MfaEnrollmentStrategy.Required && settings.AllowedAuthFactors.Count == 0)
            {
                fields.Violations.Add("allowedAuthFactors", ViolationCodes.Required);
            }
            else if (settings.AllowedAuthFactors.Contains(MfaPolicy.RecoveryCode) && !settings.AllowedAuthFactors.Contains(MfaPolicy.Totp))
            {
                // A recovery code is a way back in when the authenticator is lost, not a second factor on its own.
                fields.Violations.Add("allowedAuthFactors", ViolationCodes.InvalidValue);
            }
        }
    }

    private static void ApplyFactors(JsonNode? node, MfaPolicy policy, ConstraintViolations violations)
    {
        if (node is not JsonArray items)
        {
            violations.Add("allowedAuthFactors", ViolationCodes.InvalidValue);
            return;
        }

        var factors = new List<string>();
        foreach (var item in items)
        {
            var factor = item is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
            if (factor is not (MfaPolicy.Totp or MfaPolicy.RecoveryCode))
            {
                violations.Add("allowedAuthFactors", ViolationCodes.InvalidValue);
                return;
            }

            if (factors.Contains(factor))
            {
                violations.Add("allowedAuthFactors", ViolationCodes.NotUnique);
                return;
            }

            factors.Add(factor);
        }

        policy.AllowedAuthFactors = factors;
    }

    private static void ApplyTotpSettings(JsonNode? node, MfaPolicy policy, ConstraintViolations violations)
    {
        if (node is null)
        {
            policy.TotpSettings = new TotpSettings();
            return;
        }

        if (node is not JsonObject settings)
        {
            violations.Add("totpSettings", ViolationCodes.InvalidValue);
            return;
        }

        if (!settings.ContainsKey("issuer"))
        {
            return;
        }

        var issuer = PolicyBody.String(settings, "issuer", out var badIssuer);
        if (badIssuer)
        {
            violations.Add("totpSettings.issuer", ViolationCodes.InvalidValue);
            return;
        }

        issuer = issuer?.Trim();
        if (issuer is null)
        {
            policy.TotpSettings.Issuer = null;
        }
        else if (issuer.Length == 0)
        {
            violations.Add("totpSettings.issuer", ViolationCodes.TooShort, new Dictionary<string, object> { ["minLength"] = 1 });
        }
        else if (issuer.Length > IssuerMaxLength)
        {
            violations.Add("totpSettings.issuer", ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = IssuerMaxLength });
        }
        else if (issuer.Contains(':', StringComparison.Ordinal) || issuer.Any(char.IsControl))
        {
            // The issuer is the prefix of the otpauth label ("Issuer:account"); a colon would move the boundary.
            violations.Add("totpSettings.issuer", ViolationCodes.InvalidFormat);
        }
        else
        {
            policy.TotpSettings.Issuer = issuer;
        }
    }
}
