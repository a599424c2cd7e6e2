using Lanyard.Server.Features.Users;

namespace Lanyard.Server.Features.Invitations;

/// <summary>What an invitee types when accepting: profile fields (as the user schema asks) and a password.</summary>
internal sealed record AcceptInput(
    string? Password = null,
    string? Username = null,
    string? GivenName = null,
    string? FamilyName = null,
    string? FullName = null,
    string? PhoneNumber = null,
    string? Birthdate = null)
{
    public ProfileInput ToProfile() => new(FullName, GivenName, FamilyName, PhoneNumber, Birthdate, Username);
}

/// <summary>
/// The names of the fields an accept form must show, in Wristband's camelCase (also the violation keys):
/// the shared profile rules' names, so an invitation and a signup name a field alike.
/// </summary>
internal static class ProfileFieldNames
{
    public const string GivenName = UserProfileRules.Fields.GivenName;
    public const string FamilyName = UserProfileRules.Fields.FamilyName;
    public const string FullName = UserProfileRules.Fields.FullName;
    public const string PhoneNumber = UserProfileRules.Fields.PhoneNumber;
    public const string Birthdate = UserProfileRules.Fields.Birthdate;
    public const string Username = UserProfileRules.Fields.Username;
    public const string Password = UserProfileRules.Fields.Password;
}

internal static class ProfileFields
{
    /// <summary>Blank counts as absent, as in every profile field.</summary>
    public static string? Trimmed(string? value) => UserProfileRules.Trimmed(value);
}
