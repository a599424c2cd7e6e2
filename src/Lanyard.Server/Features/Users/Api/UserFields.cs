using System.Text.RegularExpressions;
using Lanyard.Server.Common;
using Lanyard.Server.Common.Api;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Workflows;

namespace Lanyard.Server.Features.Users.Api;

/// <summary>
/// The writable fields of a user as one create or patch body gives them. The profile fields that forms also
/// take go through <see cref="UserProfileRules"/>, the email through <see cref="CreateUser"/>'s rule, so a
/// value means the same whichever way it arrives; violations land in the patch's list. Reading collects the
/// changes; <see cref="ApplyTo"/> makes them.
/// </summary>
internal sealed partial class UserFields
{
    /// <summary>Fields whose change needs a permission beyond <c>user:write</c>.</summary>
    public static readonly (string Field, string Permission)[] Guarded =
    [
        ("email", "user:manage-email"),
        ("emailVerified", "user:manage-email"),
        ("externalId", "user:manage-external-id"),
        ("restrictedMetadata", "user:manage-restricted-metadata"),
        ("status", "user:manage-status"),
    ];

    /// <summary>Fields the API shows and nobody writes.</summary>
    public static readonly string[] ReadOnly = ["id", "tenantId", "applicationId", "identityProviderName", "identityProviderType", "hasPassword", "metadata"];

    public const int MetadataMaxLength = TenantRules.MetadataMaxLength;

    private static readonly UserStatus[] SettableOnCreate = [UserStatus.Provisioned, UserStatus.Active, UserStatus.Inactive];

    /// <summary>A patch activates or deactivates; the pending states belong to the workflows that end them.</summary>
    private static readonly UserStatus[] SettableOnPatch = [UserStatus.Active, UserStatus.Inactive];

    private static readonly (string Name, int MaxLength, Action<User, string?> Set)[] PlainTexts =
    [
        ("middleName", UserProfileRules.MaxLength, (u, v) => u.MiddleName = v),
        ("honorificPrefix", UserProfileRules.MaxLength, (u, v) => u.HonorificPrefix = v),
        ("honorificSuffix", UserProfileRules.MaxLength, (u, v) => u.HonorificSuffix = v),
        ("nickname", UserProfileRules.MaxLength, (u, v) => u.Nickname = v),
        ("displayName", UserProfileRules.MaxLength, (u, v) => u.DisplayName = v),
        ("gender", UserProfileRules.MaxLength, (u, v) => u.Gender = v),
        ("externalId", UserProfileRules.MaxLength, (u, v) => u.ExternalId = v),
    ];

    private readonly List<Action<User>> _changes = [];

    private UserFields() { }

    public Patched<string> Email { get; private set; }
    public Patched<bool> EmailVerified { get; private set; }
    public Patched<string> Username { get; private set; }
    public Patched<string> ExternalId { get; private set; }
    public Patched<string> Password { get; private set; }
    public Patched<UserStatus> Status { get; private set; }

    /// <summary>
    /// Reads and checks every user field of <paramref name="patch"/>. With no <paramref name="current"/> user it
    /// reads a create body: <c>email</c>, <c>username</c>, <c>password</c>, <c>emailVerified</c> and <c>status</c> are
    /// then left to <see cref="CreateUser"/> and only exposed here.
    /// </summary>
    public static UserFields Read(MergePatch patch, User? current, DateOnly today)
    {
        var fields = new UserFields();
        var violations = patch.Violations;
        var create = current is null;

        fields.Email = patch.String("email", nullable: false);
        if (!create && fields.Email.HasValue)
        {
            var email = fields.Email.Value!.Trim();
            var emailViolations = CreateUser.Validate(new CreateUserRequest(email));
            foreach (var violation in emailViolations.ByField.GetValueOrDefault("email") ?? [])
            {
                violations.Add("email", violation.Code, violation.ConstraintAttributes);
            }

            fields.Email = fields.Email with { Value = email };
            fields.Change(u =>
            {
                u.Email = email;
                u.NormalizedEmail = Normalize.Key(email);
            });
        }

        fields.EmailVerified = patch.Boolean("emailVerified");
        if (!create && fields.EmailVerified.HasValue)
        {
            var verified = fields.EmailVerified.Value;
            fields.Change(u => u.EmailVerified = verified);
        }

        fields.Password = create ? patch.String("password") : default;
        fields.ReadProfile(patch, create, today);
        foreach (var (name, maxLength, set) in PlainTexts)
        {
            var text = patch.String(name);
            var value = text.HasValue ? Text(violations, name, text.Value, maxLength) : null;
            if (text.IsPresent)
            {
                fields.Change(u => set(u, value));
            }

            if (name == "externalId")
            {
                fields.ExternalId = text with { Value = value };
            }
        }

        fields.ReadFormatted(patch, "pictureUrl", v => TenantRules.ImageUrl(v, violations, "pictureUrl"), (u, v) => u.PictureUrl = v);
        fields.ReadFormatted(patch, "preferredLanguage", v => Matching(violations, "preferredLanguage", v, LanguageTag(), 35, "BCP 47"), (u, v) => u.PreferredLanguage = v);
        fields.ReadFormatted(patch, "locale", v => Matching(violations, "locale", v, LanguageTag(), 35, "BCP 47"), (u, v) => u.Locale = v);
        fields.ReadFormatted(patch, "timeZone", v => Matching(violations, "timeZone", v, TimeZoneName(), 64, "IANA time zone name"), (u, v) => u.TimeZone = v);

        var publicMetadata = patch.ObjectText("publicMetadata", MetadataMaxLength);
        if (publicMetadata.IsPresent)
        {
            fields.Change(u => u.PublicMetadata = publicMetadata.Value);
        }

        var restrictedMetadata = patch.ObjectText("restrictedMetadata", MetadataMaxLength);
        if (restrictedMetadata.IsPresent)
        {
            fields.Change(u => u.RestrictedMetadata = restrictedMetadata.Value);
        }

        fields.Status = ReadStatus(patch, current);
        return fields;
    }

    /// <summary>Makes every change read from the body (status transitions are the endpoint's: they have consequences).</summary>
    public void ApplyTo(User user) => _changes.ForEach(change => change(user));

    private void Change(Action<User> change) => _changes.Add(change);

    /// <summary>fullName, givenName, familyName, phoneNumber, birthdate and username, by the forms' rules.</summary>
    private void ReadProfile(MergePatch patch, bool create, DateOnly today)
    {
        var fullName = patch.String(UserProfileRules.Fields.FullName);
        var givenName = patch.String(UserProfileRules.Fields.GivenName);
        var familyName = patch.String(UserProfileRules.Fields.FamilyName);
        var phoneNumber = patch.String(UserProfileRules.Fields.PhoneNumber);
        var birthdate = patch.String(UserProfileRules.Fields.Birthdate);
        Username = patch.String(UserProfileRules.Fields.Username);

        // Nothing is required here: the user schema governs what people must enter on forms, not what an administrator records.
        var values = UserProfileRules.Validate(
            patch.Violations,
            new ProfileInput(fullName.Value, givenName.Value, familyName.Value, phoneNumber.Value, birthdate.Value, Username.Value),
            new UserSchemaPolicy { PasswordRequired = false },
            today);

        if (fullName.IsPresent)
        {
            Change(u => u.FullName = values.FullName);
        }

        if (givenName.IsPresent)
        {
            Change(u => u.GivenName = values.GivenName);
        }

        if (familyName.IsPresent)
        {
            Change(u => u.FamilyName = values.FamilyName);
        }

        if (phoneNumber.IsPresent)
        {
            Change(u => u.PhoneNumber = values.PhoneNumber);
        }

        if (birthdate.IsPresent)
        {
            Change(u => u.Birthdate = values.Birthdate);
        }

        Username = Username with { Value = values.Username };
        if (!create && Username.IsPresent)
        {
            Change(u =>
            {
                u.Username = values.Username;
                u.NormalizedUsername = Normalize.KeyOrNull(values.Username);
            });
        }
    }

    private void ReadFormatted(MergePatch patch, string name, Func<string?, string?> check, Action<User, string?> set)
    {
        var text = patch.String(name);
        if (text.IsPresent)
        {
            var value = text.HasValue ? check(text.Value) : null;
            Change(u => set(u, value));
        }
    }

    private static Patched<UserStatus> ReadStatus(MergePatch patch, User? current)
    {
        var text = patch.String("status", nullable: false);
        if (!text.HasValue)
        {
            return default;
        }

        var settable = current is null ? SettableOnCreate : SettableOnPatch;
        if (!WireName<UserStatus>.TryParse(text.Value, out var status) || !(settable.Contains(status) || status == current?.Status))
        {
            patch.Violations.Add("status", ViolationCodes.InvalidValue, new Dictionary<string, object>
            {
                ["allowedValues"] = settable.Select(WireName<UserStatus>.Of).ToArray(),
            });
            return default;
        }

        return new Patched<UserStatus>(PatchState.Value, status);
    }

    private static string? Text(ConstraintViolations violations, string field, string? value, int maxLength)
    {
        var trimmed = UserProfileRules.Trimmed(value);
        if (trimmed is { Length: var length } && length > maxLength)
        {
            violations.Add(field, ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = maxLength });
            return null;
        }

        return trimmed;
    }

    private static string? Matching(ConstraintViolations violations, string field, string? value, Regex pattern, int maxLength, string description)
    {
        var trimmed = Text(violations, field, value, maxLength);
        if (trimmed is not null && !pattern.IsMatch(trimmed))
        {
            violations.Add(field, ViolationCodes.InvalidFormat, new Dictionary<string, object> { ["pattern"] = description });
            return null;
        }

        return trimmed;
    }

    // BCP 47 in its common shape: a 2–8 letter language, then subtags of letters and digits (en, en-US, zh-Hant-TW).
    [GeneratedRegex("^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$", RegexOptions.CultureInvariant)]
    private static partial Regex LanguageTag();

    // IANA zone names: Area/Location[/Sublocation], or a single word such as UTC (America/Argentina/Buenos_Aires, Etc/GMT+5).
    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$", RegexOptions.CultureInvariant)]
    private static partial Regex TimeZoneName();
}
