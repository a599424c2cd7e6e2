using Lanyard.Server.Features.Workflows;

namespace Lanyard.Server.Features.PasswordReset;

/// <summary>The password policy in words, for the hosted forms: the hints shown before, the broken rules after.</summary>
internal static class PasswordRules
{
    public static int MinimumLength(PasswordPolicy policy) => Math.Clamp(policy.MinimumLength, 8, 64);

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

        return hints;
    }

    public static string Describe(string violation, PasswordPolicy policy) => violation switch
    {
        "too_short" => $"The password must have at least {MinimumLength(policy)} characters.",
        "too_long" => "The password must have at most 256 characters.",
        "lowercase_char_required" => "The password must contain a lowercase letter.",
        "uppercase_char_required" => "The password must contain an uppercase letter.",
        "digit_required" => "The password must contain a digit.",
        "special_char_required" => "The password must contain a symbol.",
        _ => "The password does not meet the password policy.",
    };
}
