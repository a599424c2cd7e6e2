using Lanyard.Server.Common;

namespace Lanyard.Server.Features.Users.Import;

/// <summary>
/// The columns of a user import: Wristband's CSV importer's columns, then <c>passwordHash</c> and
/// <c>status</c>. The same names are the NDJSON properties, the violation keys and the export's columns.
/// </summary>
internal static class ImportColumns
{
    public const string Email = "email";
    public const string Username = "username";
    public const string EmailVerified = "emailVerified";
    public const string ExternalId = "externalId";
    public const string FullName = "fullName";
    public const string GivenName = "givenName";
    public const string FamilyName = "familyName";
    public const string MiddleName = "middleName";
    public const string HonorificPrefix = "honorificPrefix";
    public const string HonorificSuffix = "honorificSuffix";
    public const string Nickname = "nickname";
    public const string DisplayName = "displayName";
    public const string PictureUrl = "pictureUrl";
    public const string Gender = "gender";
    public const string Birthdate = "birthdate";
    public const string PhoneNumber = "phoneNumber";
    public const string PreferredLanguage = "preferredLanguage";
    public const string Locale = "locale";
    public const string TimeZone = "timeZone";
    public const string Roles = "roles";
    public const string PasswordHash = "passwordHash";
    public const string Status = "status";

    /// <summary>The export's extra first column with <c>--all</c>; an import refuses it (see <see cref="UserImportCsv"/>).</summary>
    public const string TenantName = "tenantName";

    /// <summary>Every column an export writes, in order: all but <see cref="PasswordHash"/>, which never leaves the server.</summary>
    public static IReadOnlyList<string> Exported { get; } =
    [
        Email, Username, EmailVerified, ExternalId, FullName, GivenName, FamilyName, MiddleName, HonorificPrefix, HonorificSuffix,
        Nickname, DisplayName, PictureUrl, Gender, Birthdate, PhoneNumber, PreferredLanguage, Locale, TimeZone, Roles, Status,
    ];

    /// <summary>Every column an import reads.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Exported, PasswordHash];

    private static readonly Dictionary<string, string> ByLowercase = All.ToDictionary(c => c.ToLowerInvariant(), c => c, StringComparer.Ordinal);

    /// <summary>The canonical column for a header or property name, compared without case; null if there is none.</summary>
    public static string? Find(string name) => ByLowercase.GetValueOrDefault(name.Trim().ToLowerInvariant());

    /// <summary>
    /// Role names in one cell: separated by <c>,</c> (Wristband's importer, inside a quoted CSV field) or
    /// <c>|</c>. Neither can appear in a role name, so both are read.
    /// </summary>
    public static List<string> SplitRoles(string cell) =>
        [.. cell.Split([',', '|'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
}

/// <summary>
/// One user as read from an import file, before validation: the non-empty values by canonical column name
/// (<see cref="ImportColumns"/>), and the problems the reader already found (a malformed JSON line, a row
/// with the wrong number of cells). <see cref="Number"/> is 1 for the first record (the line after a CSV header).
/// </summary>
internal sealed class ImportRow(long number)
{
    public long Number { get; } = number;

    public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);

    public List<string> Roles { get; } = [];

    public ConstraintViolations Problems { get; } = new();

    public string? this[string column] => Values.GetValueOrDefault(column);
}

/// <summary>What became of one row.</summary>
internal enum ImportRowStatus
{
    Created,
    Updated,
    Unchanged,
    Failed,
}

internal sealed record ImportRowResult(long Row, ImportRowStatus Status, string? UserId = null, ConstraintViolations? Violations = null);

/// <summary>The counts of one import; <see cref="Aborted"/> says why it stopped before the end of the input.</summary>
internal sealed class ImportSummary
{
    public long Rows { get; private set; }
    public long Created { get; private set; }
    public long Updated { get; private set; }
    public long Unchanged { get; private set; }
    public long Failed { get; private set; }
    public string? Aborted { get; set; }

    public void Count(ImportRowResult result)
    {
        Rows++;
        switch (result.Status)
        {
            case ImportRowStatus.Created: Created++; break;
            case ImportRowStatus.Updated: Updated++; break;
            case ImportRowStatus.Unchanged: Unchanged++; break;
            default: Failed++; break;
        }
    }
}

/// <summary>
/// The input cannot be read on (a CSV row that never ends, a broken quote): the import stops after the rows
/// before it. Thrown by the readers; the importer commits what it has and reports the reason.
/// </summary>
internal sealed class ImportInputException(string message) : Exception(message);
