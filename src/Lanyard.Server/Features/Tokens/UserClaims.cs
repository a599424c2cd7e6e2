using System.Text.Json;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.Users;

namespace Lanyard.Server.Features.Tokens;

/// <summary>
/// The scope-dependent claims of a user, shared by the ID token and userinfo. Types follow what the
/// strictest SDK checks: booleans for <c>*_verified</c>, an integer <c>updated_at</c>.
/// </summary>
internal static class UserClaims
{
    public static void Write(Utf8JsonWriter w, User user, IReadOnlySet<string> scopes)
    {
        if (scopes.Contains(Scopes.Profile))
        {
            WriteIfSet(w, "name", user.FullName);
            WriteIfSet(w, "given_name", user.GivenName);
            WriteIfSet(w, "family_name", user.FamilyName);
            WriteIfSet(w, "middle_name", user.MiddleName);
            WriteIfSet(w, "nickname", user.Nickname);
            WriteIfSet(w, "preferred_username", user.Username);
            WriteIfSet(w, "picture", user.PictureUrl);
            WriteIfSet(w, "gender", user.Gender);
            WriteIfSet(w, "birthdate", user.Birthdate?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            WriteIfSet(w, "zoneinfo", user.TimeZone);
            WriteIfSet(w, "locale", user.Locale);
            w.WriteNumber("updated_at", user.UpdatedAt.ToUnixTimeSeconds());
        }

        if (scopes.Contains(Scopes.Email))
        {
            w.WriteString("email", user.Email);
            w.WriteBoolean("email_verified", user.EmailVerified);
        }

        if (scopes.Contains(Scopes.Phone) && user.PhoneNumber is not null)
        {
            w.WriteString("phone_number", user.PhoneNumber);
            w.WriteBoolean("phone_number_verified", false);
        }
    }

    /// <summary>The <c>roles</c> claim (scope <c>roles</c>), the same shape in tokens and userinfo; nothing when null.</summary>
    public static void WriteRoles(Utf8JsonWriter w, IReadOnlyList<RoleClaim>? roles)
    {
        if (roles is null)
        {
            return;
        }

        w.WriteStartArray("roles");
        foreach (var role in roles)
        {
            w.WriteStartObject();
            w.WriteString("id", role.Id);
            w.WriteString("name", role.Name);
            w.WriteString("display_name", role.DisplayName);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>
    /// The <c>custom_claims</c> object, the same in tokens and userinfo, whatever the scope (Wristband sends custom
    /// claims always). Nothing when the application maps no claim.
    /// </summary>
    public static void WriteCustomClaims(Utf8JsonWriter w, User user, IReadOnlyList<CustomClaimMapping> mappings)
    {
        if (mappings.Count == 0)
        {
            return;
        }

        w.WritePropertyName("custom_claims");
        CustomClaims.Values(user, mappings).WriteTo(w);
    }

    private static void WriteIfSet(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }
}
