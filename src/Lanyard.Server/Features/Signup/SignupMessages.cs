using System.Globalization;
using Lanyard.Server.Common;

namespace Lanyard.Server.Features.Signup;

/// <summary>The words a hosted page shows for a violation; the API returns the codes themselves.</summary>
internal static class SignupMessages
{
    public const string AccountExists = "An account with this email already exists.";

    public static string Describe(string field, ConstraintViolation violation)
    {
        var attributes = violation.ConstraintAttributes;
        return (field, violation.Code) switch
        {
            (SignupRules.Fields.TenantName, ViolationCodes.NotUnique) => "That organization name is taken. Choose another.",
            (SignupRules.Fields.TenantName, ViolationCodes.InvalidFormat) => "Use letters, digits and inner hyphens only.",
            (SignupRules.Fields.TenantName, ViolationCodes.InvalidValue) => "That name is reserved. Choose another.",
            (SignupRules.Fields.Email, ViolationCodes.NotUnique) => AccountExists,
            (SignupRules.Fields.Email, ViolationCodes.InvalidFormat) => "Enter a valid email address.",
            (SignupRules.Fields.Email, ViolationCodes.InvalidValue) when attributes?.GetValueOrDefault("allowedDomains") is IEnumerable<string> domains =>
                $"Sign-up is limited to addresses at {string.Join(" or ", domains)}.",
            (SignupRules.Fields.PhoneNumber, ViolationCodes.InvalidFormat) => "Enter the number in international format, e.g. +14155550123.",
            (SignupRules.Fields.Birthdate, ViolationCodes.InvalidFormat) => "Enter the date as YYYY-MM-DD.",
            (SignupRules.Fields.Birthdate, ViolationCodes.InvalidValue) => "Enter a date in the past.",
            (_, ViolationCodes.Required) => "This field is required.",
            (_, ViolationCodes.TooShort) => $"Use at least {Attribute(attributes, "minLength")} characters.",
            (_, ViolationCodes.TooLong) => $"Use at most {Attribute(attributes, "maxLength")} characters.",
            (_, "lowercase_char_required") => "Include a lowercase letter.",
            (_, "uppercase_char_required") => "Include an uppercase letter.",
            (_, "digit_required") => "Include a digit.",
            (_, "special_char_required") => "Include a character that is not a letter or digit.",
            _ => "This value is not accepted.",
        };
    }

    private static string Attribute(IReadOnlyDictionary<string, object>? attributes, string key) =>
        Convert.ToString(attributes?.GetValueOrDefault(key), CultureInfo.InvariantCulture) ?? "more";
}
