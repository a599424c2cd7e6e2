using Lanyard.Server.Common;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Workflows;

namespace Lanyard.Server.Features.PasswordReset;

/// <summary>
/// The one place that decides whether a password may be set, for every way of setting one (signup, reset,
/// change, invitation acceptance, user creation and import): the resolved password policy's length and
/// character classes and, when the policy asks for it, the offline breached/common-password check. The
/// hosted forms also take their hints and messages from here, so what a page promises is what is enforced.
/// </summary>
internal static class PasswordRules
{
    /// <summary>Wristband's bounds of <c>minimumLength</c>.</summary>
    public const int LowestMinimumLength = 8;

    public const int HighestMinimumLength = 64;

    /// <summary>The longest password anyone may set (the account store's cap, whatever the policy says).</summary>
    public const int MaxLength = 64;

    /// <summary>The violation code of a password found in the common/breached list.</summary>
    public const string BreachedPassword = "breached_password";

    public const string LowercaseCharRequired = "lowercase_char_required";
    public const string UppercaseCharRequired = "uppercase_char_required";
    public const string DigitRequired = "digit_required";
    public const string SpecialCharRequired = "special_char_required";

    public static int MinimumLength(PasswordPolicy policy) => Math.Clamp(policy.MinimumLength, LowestMinimumLength, HighestMinimumLength);

    /// <summary>Every rule <paramref name="password"/> breaks, as stable violation codes; empty when it may be set.</summary>
    public static IReadOnlyList<string> Check(PasswordPolicy policy, string password)
    {
        var broken = new List<string>();
        if (password.Length < MinimumLength(policy))
        {
            broken.Add(ViolationCodes.TooShort);
        }

        if (password.Length > MaxLength)
        {
            broken.Add(ViolationCodes.TooLong);
        }

        if (policy.LowercaseCharRequired && !password.Any(char.IsLower))
        {
            broken.Add(LowercaseCharRequired);
        }

        if (policy.UppercaseCharRequired && !password.Any(char.IsUpper))
        {
            broken.Add(UppercaseCharRequired);
        }

        if (policy.DigitRequired && !password.Any(char.IsDigit))
        {
            broken.Add(DigitRequired);
        }

        if (policy.SpecialCharRequired && password.All(char.IsLetterOrDigit))
        {
            broken.Add(SpecialCharRequired);
        }

        if (policy.BreachedPwdDetectionEnabled && password.Length <= MaxLength && CommonPasswords.IsCommon(password))
        {
            broken.Add(BreachedPassword);
        }

        return broken;
    }

    /// <summary>The rules <paramref name="password"/> breaks, as violations of <paramref name="field"/> with their bounds.</summary>
    public static void AddViolations(ConstraintViolations violations, string field, PasswordPolicy policy, string password)
    {
        foreach (var code in Check(policy, password))
        {
            violations.Add(field, code, Attributes(code, policy));
        }
    }

    public static IReadOnlyDictionary<string, object>? Attributes(string code, PasswordPolicy policy) => code switch
    {
        ViolationCodes.TooShort => new Dictionary<string, object> { ["minLength"] = MinimumLength(policy) },
        ViolationCodes.TooLong => new Dictionary<string, object> { ["maxLength"] = MaxLength },
        _ => null,
    };

    /// <summary>
    /// A correct password that the policy now calls breached, under <c>REQUIRE_PASSWORD_RESET</c>: the login
    /// must not go on with it; the user is sent to set a new one instead.
    /// </summary>
    public static bool ResetRequiredAtLogin(PasswordPolicy policy, string password) =>
        policy is { BreachedPwdDetectionEnabled: true, BreachedPwdLoginRemediationStrategy: BreachedPasswordRemediation.RequirePasswordReset }
        && CommonPasswords.IsCommon(password);

    public static IReadOnlyList<string> Hints(PasswordPolicy policy)
    {
        var hints = new List<string> { $"At least {MinimumLength(policy)} characters" };
        if (policy.LowercaseCharRequired)
        {
            hints.Add("a lowercase letter");
        }

        if (policy.UppercaseCharRequired)
        {
            hints.Add("an uppercase letter");
        }

        if (policy.DigitRequired)
        {
            hints.Add("a digit");
        }

        if (policy.SpecialCharRequired)
        {
            hints.Add("a symbol (neither letter nor digit)");
        }

        if (policy.BreachedPwdDetectionEnabled)
        {
            hints.Add("not a commonly used password");
        }

        return hints;
    }

    public static string Describe(string violation, PasswordPolicy policy) => violation switch
    {
        ViolationCodes.TooShort => $"The password must have at least {MinimumLength(policy)} characters.",
        ViolationCodes.TooLong => $"The password must have at most {MaxLength} characters.",
        LowercaseCharRequired => "The password must contain a lowercase letter.",
        UppercaseCharRequired => "The password must contain an uppercase letter.",
        DigitRequired => "The password must contain a digit.",
        SpecialCharRequired => "The password must contain a symbol.",
        BreachedPassword => "This password is one of the most commonly used (or leaked) passwords. Choose another one.",
        _ => "The password does not meet the password policy.",
    };
}
