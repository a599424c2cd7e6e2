using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Tokens;

/// <summary>One custom claim: its name inside <c>custom_claims</c>, and where its value comes from.</summary>
/// <param name="Source">A user attribute (<c>username</c>, <c>givenName</c>, …) or a path into the user's metadata (<c>publicMetadata.plan</c>, <c>restrictedMetadata.billing.tier</c>).</param>
internal sealed record CustomClaimMapping(string Name, string Source);

/// <summary>The stored token-claims configuration of an application (a policy row of kind <see cref="PolicyKind.TokenClaims"/>).</summary>
internal sealed class TokenClaimsSettings
{
    public List<CustomClaimMapping> CustomClaims { get; set; } = [];
}

/// <summary>
/// Custom claims: values an application wants in every token and userinfo answer of a user, so it can
/// authorize by them without another call (the plan, a department, an external id). The application maps
/// claim names to user attributes or metadata paths once; the values are read from the user row when a token
/// is issued (login, every refresh) and when userinfo is asked. They all go under one claim, <c>custom_claims</c>,
/// so no mapping can shadow a registered claim such as <c>sub</c> or <c>tnt_id</c>.
/// </summary>
internal static class CustomClaims
{
    public const int MaxClaims = 25;
    public const int MaxNameLength = 64;
    public const int MaxPathDepth = 5;
    public const string PublicMetadata = "publicMetadata";
    public const string RestrictedMetadata = "restrictedMetadata";

    /// <summary>The user attributes a claim may carry. Secrets (password hash) and internal ids of other objects are not among them.</summary>
    private static readonly FrozenDictionary<string, Func<User, JsonNode?>> Attributes = new Dictionary<string, Func<User, JsonNode?>>(StringComparer.Ordinal)
    {
        ["email"] = u => u.Email,
        ["emailVerified"] = u => u.EmailVerified,
        ["username"] = u => u.Username,
        ["externalId"] = u => u.ExternalId,
        ["fullName"] = u => u.FullName,
        ["givenName"] = u => u.GivenName,
        ["familyName"] = u => u.FamilyName,
        ["middleName"] = u => u.MiddleName,
        ["honorificPrefix"] = u => u.HonorificPrefix,
        ["honorificSuffix"] = u => u.HonorificSuffix,
        ["nickname"] = u => u.Nickname,
        ["displayName"] = u => u.DisplayName,
        ["pictureUrl"] = u => u.PictureUrl,
        ["gender"] = u => u.Gender,
        ["birthdate"] = u => u.Birthdate?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        ["phoneNumber"] = u => u.PhoneNumber,
        ["preferredLanguage"] = u => u.PreferredLanguage,
        ["locale"] = u => u.Locale,
        ["timeZone"] = u => u.TimeZone,
        ["identityProviderName"] = u => u.IdentityProviderName,
        ["status"] = u => WireName<UserStatus>.Of(u.Status),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The application's mappings (its policy row, or none), read in whatever scope the caller is in: application rows are visible from every tenant.</summary>
    public static async Task<IReadOnlyList<CustomClaimMapping>> LoadAsync(LanyardDbContext db, CancellationToken cancellationToken)
    {
        var settings = await db.Policies.AsNoTracking()
            .Where(p => p.TenantId == null && p.Kind == PolicyKind.TokenClaims && p.SubKey == "")
            .Select(p => p.Settings).FirstOrDefaultAsync(cancellationToken);
        return settings is null ? [] : Read(settings).CustomClaims;
    }

    public static TokenClaimsSettings Read(string json) =>
        JsonSerializer.Deserialize<TokenClaimsSettings>(json, PolicyResolver.Json) ?? new TokenClaimsSettings();

    /// <summary>Whether <paramref name="source"/> names an attribute or a well-formed metadata path.</summary>
    public static bool IsValidSource(string source)
    {
        if (Attributes.ContainsKey(source) || source is PublicMetadata or RestrictedMetadata)
        {
            return true;
        }

        var segments = source.Split('.');
        return segments.Length >= 2 && segments.Length <= MaxPathDepth + 1
            && segments[0] is PublicMetadata or RestrictedMetadata
            && segments.Skip(1).All(s => s.Length is > 0 and <= MaxNameLength && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'));
    }

    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= MaxNameLength && char.IsAsciiLetter(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':');

    /// <summary>The claim values of <paramref name="user"/>; a mapping whose value is absent (unset attribute, missing path) is left out.</summary>
    public static JsonObject Values(User user, IReadOnlyList<CustomClaimMapping> mappings)
    {
        var values = new JsonObject();
        JsonNode? publicMetadata = null, restrictedMetadata = null;
        var parsedPublic = false;
        var parsedRestricted = false;
        foreach (var mapping in mappings)
        {
            JsonNode? value;
            var segments = mapping.Source.Split('.');
            if (segments[0] == PublicMetadata)
            {
                if (!parsedPublic)
                {
                    (publicMetadata, parsedPublic) = (Parse(user.PublicMetadata), true);
                }

                value = Walk(publicMetadata, segments);
            }
            else if (segments[0] == RestrictedMetadata)
            {
                if (!parsedRestricted)
                {
                    (restrictedMetadata, parsedRestricted) = (Parse(user.RestrictedMetadata), true);
                }

                value = Walk(restrictedMetadata, segments);
            }
            else
            {
                value = Attributes.TryGetValue(mapping.Source, out var read) ? read(user) : null;
            }

            if (value is not null)
            {
                values[mapping.Name] = value.DeepClone();
            }
        }

        return values;
    }

    private static JsonNode? Walk(JsonNode? node, string[] segments)
    {
        foreach (var segment in segments.Skip(1))
        {
            node = node is JsonObject o && o.TryGetPropertyValue(segment, out var child) ? child : null;
        }

        return node;
    }

    // Metadata is written as JSON by the user API; anything else is treated as absent rather than failing a login.
    private static JsonNode? Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
