using System.Text.RegularExpressions;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Workflows;

namespace Lanyard.Server.Features.Users.Import;

/// <summary>One row that passed validation: every value typed and trimmed, absent ones null.</summary>
internal sealed class ImportCandidate
{
    public required long Row { get; init; }
    public required string Email { get; init; }
    public required string NormalizedEmail { get; init; }
    public string? Username { get; init; }
    public string? NormalizedUsername { get; init; }
    public string? ExternalId { get; init; }
    public bool? EmailVerified { get; init; }
    public DateOnly? Birthdate { get; init; }
    public UserStatus? Status { get; init; }
    public string? PasswordHash { get; init; }

    /// <summary>The plain text fields of <see cref="ImportRules.TextFields"/> that the row gives.</summary>
    public required Dictionary<string, string> Texts { get; init; }

    public required IReadOnlyList<string> RoleIds { get; init; }
}

/// <summary>What every row of one import is checked against: the tenant's identity provider and roles, and today.</summary>
internal sealed record ImportContext(string IdentityProviderId, string IdentityProviderName, IReadOnlyDictionary<string, string> RoleIdsByName, DateOnly Today);

/// <summary>
/// The rules of an imported row. The profile fields a form also takes follow <see cref="UserProfileRules"/>
/// (with no field required: the user schema governs forms, not migrations), the email rule is
/// <see cref="CreateUser"/>'s, and the rest are the column widths of the user table.
/// </summary>
internal static partial class ImportRules
{
    public const int MaxRoles = 100;
    public const int MaxUrlLength = 2000;

    /// <summary>The statuses an import may set; the pending ones belong to the signup and invitation workflows.</summary>
    public static readonly UserStatus[] ImportableStatuses = [UserStatus.Active, UserStatus.Inactive, UserStatus.Provisioned];

    /// <summary>Text columns copied as they are, with their maximum length and where they live on the user.</summary>
    public static IReadOnlyList<TextField> TextFields { get; } =
    [
        new(ImportColumns.FullName, 200, u => u.FullName, (u, v) => u.FullName = v),
        new(ImportColumns.GivenName, 200, u => u.GivenName, (u, v) => u.GivenName = v),
        new(ImportColumns.FamilyName, 200, u => u.FamilyName, (u, v) => u.FamilyName = v),
        new(ImportColumns.MiddleName, 200, u => u.MiddleName, (u, v) => u.MiddleName = v),
        new(ImportColumns.HonorificPrefix, 200, u => u.HonorificPrefix, (u, v) => u.HonorificPrefix = v),
        new(ImportColumns.HonorificSuffix, 200, u => u.HonorificSuffix, (u, v) => u.HonorificSuffix = v),
        new(ImportColumns.Nickname, 200, u => u.Nickname, (u, v) => u.Nickname = v),
        new(ImportColumns.DisplayName, 200, u => u.DisplayName, (u, v) => u.DisplayName = v),
        new(ImportColumns.Gender, 200, u => u.Gender, (u, v) => u.Gender = v),
        new(ImportColumns.PictureUrl, MaxUrlLength, u => u.PictureUrl, (u, v) => u.PictureUrl = v),
        new(ImportColumns.PhoneNumber, 16, u => u.PhoneNumber, (u, v) => u.PhoneNumber = v),
        new(ImportColumns.PreferredLanguage, 35, u => u.PreferredLanguage, (u, v) => u.PreferredLanguage = v),
        new(ImportColumns.Locale, 35, u => u.Locale, (u, v) => u.Locale = v),
        new(ImportColumns.TimeZone, 64, u => u.TimeZone, (u, v) => u.TimeZone = v),
    ];

    private static readonly UserSchemaPolicy NothingRequired = new() { PasswordRequired = false };

    public static (ImportCandidate? Candidate, ConstraintViolations? Violations) Validate(ImportRow row, ImportContext context)
    {
        var violations = row.Problems;
        var email = row[ImportColumns.Email];
        if (email is null)
        {
            violations.Add(ImportColumns.Email, ViolationCodes.Required);
        }
        else if (email.Length > 200)
        {
            violations.Add(ImportColumns.Email, ViolationCodes.TooLong, MaxLength(200));
        }
        else if (!CreateUser.IsEmail(email))
        {
            violations.Add(ImportColumns.Email, ViolationCodes.InvalidFormat);
        }

        var profile = UserProfileRules.Validate(violations, new ProfileInput(
            row[ImportColumns.FullName], row[ImportColumns.GivenName], row[ImportColumns.FamilyName], row[ImportColumns.PhoneNumber],
            row[ImportColumns.Birthdate], row[ImportColumns.Username]), NothingRequired, context.Today);

        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in TextFields)
        {
            if (row[field.Column] is not { } value || violations.ByField.ContainsKey(field.Column))
            {
                continue;
            }

            if (value.Length > field.MaxLength)
            {
                violations.Add(field.Column, ViolationCodes.TooLong, MaxLength(field.MaxLength));
            }
            else if (FormatProblem(field.Column, value) is { } pattern)
            {
                violations.Add(field.Column, ViolationCodes.InvalidFormat, new Dictionary<string, object> { ["pattern"] = pattern });
            }
            else
            {
                texts[field.Column] = value;
            }
        }

        var externalId = row[ImportColumns.ExternalId];
        if (externalId is { Length: > 200 })
        {
            violations.Add(ImportColumns.ExternalId, ViolationCodes.TooLong, MaxLength(200));
        }

        bool? emailVerified = null;
        if (row[ImportColumns.EmailVerified] is { } verified)
        {
            emailVerified = bool.TryParse(verified, out var parsed) ? parsed : null;
            if (emailVerified is null)
            {
                violations.Add(ImportColumns.EmailVerified, ViolationCodes.InvalidValue, new Dictionary<string, object> { ["allowed"] = "true, false" });
            }
        }

        UserStatus? status = null;
        if (row[ImportColumns.Status] is { } statusText)
        {
            if (WireName<UserStatus>.TryParse(statusText.ToUpperInvariant(), out var parsed) && ImportableStatuses.Contains(parsed))
            {
                status = parsed;
            }
            else
            {
                violations.Add(ImportColumns.Status, ViolationCodes.InvalidValue, new Dictionary<string, object>
                {
                    ["allowed"] = string.Join(", ", ImportableStatuses.Select(WireName<UserStatus>.Of)),
                });
            }
        }

        var passwordHash = row[ImportColumns.PasswordHash];
        if (passwordHash is not null && PasswordHashFormats.Parse(passwordHash).Problem is { } problem)
        {
            violations.Add(ImportColumns.PasswordHash, problem.Code, new Dictionary<string, object> { ["reason"] = problem.Reason });
        }

        var roleIds = new List<string>();
        if (row.Roles.Count > MaxRoles)
        {
            violations.Add(ImportColumns.Roles, ViolationCodes.TooLong, new Dictionary<string, object> { ["maxItems"] = MaxRoles });
        }
        else
        {
            foreach (var name in row.Roles.Distinct(StringComparer.Ordinal))
            {
                if (context.RoleIdsByName.TryGetValue(name, out var id))
                {
                    roleIds.Add(id);
                }
                else
                {
                    violations.Add(ImportColumns.Roles, ViolationCodes.NotFound, new Dictionary<string, object> { ["name"] = name.Length > 100 ? name[..100] : name });
                }
            }
        }

        if (!violations.IsEmpty)
        {
            return (null, violations);
        }

        return (new ImportCandidate
        {
            Row = row.Number,
            Email = email!,
            NormalizedEmail = Normalize.Key(email!),
            Username = profile.Username,
            NormalizedUsername = Normalize.KeyOrNull(profile.Username),
            ExternalId = externalId,
            EmailVerified = emailVerified,
            Birthdate = profile.Birthdate,
            Status = status,
            PasswordHash = passwordHash,
            Texts = texts,
            RoleIds = roleIds,
        }, null);
    }

    private static string? FormatProblem(string column, string value) => column switch
    {
        ImportColumns.PictureUrl => Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" ? null : "an absolute https URL",
        ImportColumns.PreferredLanguage or ImportColumns.Locale => LanguageTag().IsMatch(value) ? null : "a language tag such as en-US",
        ImportColumns.TimeZone => TimeZoneName().IsMatch(value) ? null : "an IANA time zone such as Europe/Berlin",
        _ => null,
    };

    private static Dictionary<string, object> MaxLength(int max) => new() { ["maxLength"] = max };

    [GeneratedRegex("^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*$", RegexOptions.CultureInvariant)]
    private static partial Regex LanguageTag();

    [GeneratedRegex("^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex TimeZoneName();
}

/// <summary>A text column and the user property it sets.</summary>
internal sealed record TextField(string Column, int MaxLength, Func<User, string?> Get, Action<User, string?> Set);
