using System.Globalization;
using System.Text.RegularExpressions;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Workflows;

namespace Lanyard.Server.Features.Users;

/// <summary>The profile fields a form submits, as typed.</summary>
internal sealed record ProfileInput(
    string? FullName = null,
    string? GivenName = null,
    string? FamilyName = null,
    string? PhoneNumber = null,
    string? Birthdate = null,
    string? Username = null);

/// <summary>The trimmed, parsed profile fields; a field left empty or refused is null.</summary>
internal sealed record ProfileValues(
    string? FullName,
    string? GivenName,
    string? FamilyName,
    string? PhoneNumber,
    DateOnly? Birthdate,
    string? Username);

/// <summary>
/// The profile rules of every form that lets a user describe themselves (signup, invitation acceptance),
/// so the same input gets the same violations whichever way it arrives. A field the user schema requires
/// must be present; any field present must be well-formed, so an optional field cannot smuggle in garbage.
/// </summary>
internal static partial class UserProfileRules
{
    /// <summary>The width of the profile columns.</summary>
    public const int MaxLength = 200;

    public const string E164 = "E.164";
    public const string DateFormat = "YYYY-MM-DD";
    public const string PastDate = "must be a past date";

    /// <summary>Field names in Wristband's camelCase: the API's JSON names and the keys of the violations.</summary>
    public static class Fields
    {
        public const string FullName = "fullName";
        public const string GivenName = "givenName";
        public const string FamilyName = "familyName";
        public const string PhoneNumber = "phoneNumber";
        public const string Birthdate = "birthdate";
        public const string Username = "username";
        public const string Password = "password";
    }

    /// <summary>The fields a form must show and insist on, in the order the forms show them.</summary>
    public static IReadOnlyList<string> RequiredFields(UserSchemaPolicy schema, bool passwordNeeded)
    {
        var fields = new List<string>();
        if (schema.GivenNameRequired)
        {
            fields.Add(Fields.GivenName);
        }

        if (schema.FamilyNameRequired)
        {
            fields.Add(Fields.FamilyName);
        }

        if (schema.FullNameRequired)
        {
            fields.Add(Fields.FullName);
        }

        if (schema.PhoneNumberRequired)
        {
            fields.Add(Fields.PhoneNumber);
        }

        if (schema.BirthdateRequired)
        {
            fields.Add(Fields.Birthdate);
        }

        if (schema.UsernameRequired)
        {
            fields.Add(Fields.Username);
        }

        if (passwordNeeded)
        {
            fields.Add(Fields.Password);
        }

        return fields;
    }

    /// <summary>
    /// Adds every broken profile rule to <paramref name="violations"/>; <paramref name="today"/> bounds the
    /// birthdate. The values are only meaningful when no violation was added.
    /// </summary>
    public static ProfileValues Validate(ConstraintViolations violations, ProfileInput input, UserSchemaPolicy schema, DateOnly today)
    {
        var fullName = Text(violations, Fields.FullName, input.FullName, schema.FullNameRequired);
        var givenName = Text(violations, Fields.GivenName, input.GivenName, schema.GivenNameRequired);
        var familyName = Text(violations, Fields.FamilyName, input.FamilyName, schema.FamilyNameRequired);
        var username = Text(violations, Fields.Username, input.Username, schema.UsernameRequired);

        var phone = Text(violations, Fields.PhoneNumber, input.PhoneNumber, schema.PhoneNumberRequired);
        if (phone is not null && !E164Pattern().IsMatch(phone))
        {
            violations.Add(Fields.PhoneNumber, ViolationCodes.InvalidFormat, new Dictionary<string, object> { ["pattern"] = E164 });
            phone = null;
        }

        DateOnly? birthdate = null;
        if (Text(violations, Fields.Birthdate, input.Birthdate, schema.BirthdateRequired) is { } birthText)
        {
            if (!DateOnly.TryParseExact(birthText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
            {
                violations.Add(Fields.Birthdate, ViolationCodes.InvalidFormat, new Dictionary<string, object> { ["pattern"] = DateFormat });
            }
            else if (parsed > today || parsed.Year < 1900)
            {
                violations.Add(Fields.Birthdate, ViolationCodes.InvalidValue, new Dictionary<string, object> { ["reason"] = PastDate });
            }
            else
            {
                birthdate = parsed;
            }
        }

        return new ProfileValues(fullName, givenName, familyName, phone, birthdate, username);
    }

    /// <summary>Copies the given fields onto the user; fields left empty keep what the user had.</summary>
    public static void Apply(ProfileValues values, User user)
    {
        user.FullName = values.FullName ?? user.FullName;
        user.GivenName = values.GivenName ?? user.GivenName;
        user.FamilyName = values.FamilyName ?? user.FamilyName;
        user.PhoneNumber = values.PhoneNumber ?? user.PhoneNumber;
        user.Birthdate = values.Birthdate ?? user.Birthdate;
        if (values.Username is { } username)
        {
            user.Username = username;
            user.NormalizedUsername = Normalize.Key(username);
        }
    }

    /// <summary>Blank counts as absent: a form posts an empty string for a field left alone.</summary>
    public static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string? Text(ConstraintViolations violations, string field, string? value, bool required)
    {
        var trimmed = Trimmed(value);
        if (trimmed is null)
        {
            if (required)
            {
                violations.Add(field, ViolationCodes.Required);
            }

            return null;
        }

        if (trimmed.Length > MaxLength)
        {
            violations.Add(field, ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = MaxLength });
            return null;
        }

        return trimmed;
    }

    // [0-9], not \d: \d also matches other scripts' digits, which no dialler accepts.
    [GeneratedRegex(@"^\+[1-9][0-9]{1,14}$", RegexOptions.CultureInvariant)]
    private static partial Regex E164Pattern();
}
