using System.Globalization;
using System.Text.Json.Nodes;
using Lanyard.Server.Common;
using Lanyard.Server.Features.IdentityProviders;
using Lanyard.Server.Features.Tenants.Api;

namespace Lanyard.Server.Features.Users.Api;

/// <summary>A user as the management API shows it: every field of Wristband's user object, never a password hash.</summary>
internal static class UserJson
{
    public static JsonObject From(User user, IdentityProviderType identityProviderType) => new()
    {
        ["id"] = user.Id,
        ["tenantId"] = user.TenantId,
        ["applicationId"] = user.ApplicationId,
        ["identityProviderName"] = user.IdentityProviderName,
        ["identityProviderType"] = WireName<IdentityProviderType>.Of(identityProviderType),
        ["email"] = user.Email,
        ["emailVerified"] = user.EmailVerified,
        ["username"] = user.Username,
        ["externalId"] = user.ExternalId,
        ["fullName"] = user.FullName,
        ["givenName"] = user.GivenName,
        ["familyName"] = user.FamilyName,
        ["middleName"] = user.MiddleName,
        ["honorificPrefix"] = user.HonorificPrefix,
        ["honorificSuffix"] = user.HonorificSuffix,
        ["nickname"] = user.Nickname,
        ["displayName"] = user.DisplayName,
        ["pictureUrl"] = user.PictureUrl,
        ["gender"] = user.Gender,
        ["birthdate"] = user.Birthdate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["phoneNumber"] = user.PhoneNumber,
        ["preferredLanguage"] = user.PreferredLanguage,
        ["locale"] = user.Locale,
        ["timeZone"] = user.TimeZone,
        ["hasPassword"] = user.HasPassword,
        ["status"] = WireName<UserStatus>.Of(user.Status),
        ["publicMetadata"] = TenantJson.Metadata(user.PublicMetadata),
        ["restrictedMetadata"] = TenantJson.Metadata(user.RestrictedMetadata),
        ["metadata"] = new JsonObject
        {
            ["version"] = user.Version,
            ["creationTime"] = ApiTimes.Of(user.CreatedAt),
            ["lastModifiedTime"] = ApiTimes.Of(user.UpdatedAt),
            ["activationTime"] = ApiTimes.Of(user.ActivatedAt),
            ["deactivationTime"] = ApiTimes.Of(user.DeactivatedAt),
            ["lastVerificationTime"] = ApiTimes.Of(user.LastVerifiedAt),
        },
    };
}
