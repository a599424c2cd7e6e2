using Lanyard.Server.Common;

namespace Lanyard.Server.Features.Invitations;

/// <summary>Turns violation codes into the sentences the hosted accept pages show under each field.</summary>
internal static class AcceptMessages
{
    public static IReadOnlyDictionary<string, List<string>> For(ConstraintViolations violations) =>
        violations.ByField.ToDictionary(p => p.Key, p => p.Value.Select(v => Sentence(p.Key, v.Code)).Distinct(StringComparer.Ordinal).ToList(), StringComparer.Ordinal);

    private static string Sentence(string field, string code) => (field, code) switch
    {
        (_, ViolationCodes.Required) => "This field is required.",
        (_, ViolationCodes.TooLong) when field == ProfileFieldNames.Password => "The password is too long.",
        (_, ViolationCodes.TooLong) => "This value is too long.",
        (ProfileFieldNames.Username, ViolationCodes.NotUnique) => "This username is already taken.",
        (ProfileFieldNames.PhoneNumber, ViolationCodes.InvalidFormat) => "Enter the number in international format, e.g. +15551234567.",
        (ProfileFieldNames.Birthdate, ViolationCodes.InvalidFormat) => "Enter a valid date of birth (YYYY-MM-DD).",
        (ProfileFieldNames.Birthdate, ViolationCodes.InvalidValue) => "Enter a date of birth in the past.",
        (_, ViolationCodes.TooShort) => "The password is too short.",
        (_, "lowercase_char_required") => "The password needs a lowercase letter.",
        (_, "uppercase_char_required") => "The password needs an uppercase letter.",
        (_, "digit_required") => "The password needs a digit.",
        (_, "special_char_required") => "The password needs a character that is not a letter or digit.",
        _ => "This value is not valid.",
    };
}
