using System.Net.Mail;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Workflows;

namespace Lanyard.Server.Features.Signup;

/// <summary>
/// What a signup form (hosted page or a self-hosted page through the provisioning API) submits. The field
/// names are the API's JSON names and the keys of the violations; externalId never appears on signup.
/// </summary>
internal sealed record SignupInput
{
    public string? TenantName { get; init; }
    public string? TenantDisplayName { get; init; }
    public string? Email { get; init; }
    public string? Password { get; init; }
    public string? FullName { get; init; }
    public string? GivenName { get; init; }
    public string? FamilyName { get; init; }
    public string? PhoneNumber { get; init; }
    public string? Birthdate { get; init; }
    public string? Username { get; init; }
    public string? ClientId { get; init; }
    public string? State { get; init; }
}

/// <summary>The validated, trimmed values of a <see cref="SignupInput"/>.</summary>
internal sealed record SignupValues(
    string? TenantName,
    string? TenantDisplayName,
    string Email,
    string? Password,
    ProfileValues Profile);

/// <summary>Field rules of signup, shared by the pages and the API so both refuse exactly the same input.</summary>
internal static class SignupRules
{
    public const int MaxStateLength = 512;
    public const int MaxNameLength = 200;

    /// <summary>The profile names are the shared profile rules' own, so signup and invitations name a field alike.</summary>
    public static class Fields
    {
        public const string TenantName = "tenantName";
        public const string TenantDisplayName = "tenantDisplayName";
        public const string Email = "email";
        public const string Password = UserProfileRules.Fields.Password;
        public const string FullName = UserProfileRules.Fields.FullName;
        public const string GivenName = UserProfileRules.Fields.GivenName;
        public const string FamilyName = UserProfileRules.Fields.FamilyName;
        public const string PhoneNumber = UserProfileRules.Fields.PhoneNumber;
        public const string Birthdate = UserProfileRules.Fields.Birthdate;
        public const string Username = UserProfileRules.Fields.Username;
        public const string State = "state";
    }

    /// <summary>Violation reason (in <c>constraintAttributes.reason</c>) of an email outside the tenant's allowed domains.</summary>
    public const string DomainNotAllowed = "email_domain_not_allowed";

    /// <summary>Checks every field, collecting every violation; null values when the input is invalid.</summary>
    public static (SignupValues? Values, ConstraintViolations Violations) Validate(
        SignupInput input, bool applicationLevel, UserSchemaPolicy schema, PasswordPolicy passwordPolicy,
        IReadOnlyList<string> allowedDomains, DateOnly today)
    {
        var violations = new ConstraintViolations();
        string? tenantName = null;
        string? tenantDisplayName = null;
        if (applicationLevel)
        {
            tenantName = input.TenantName?.Trim();
            foreach (var (field, list) in TenantName.Validate(tenantName, Fields.TenantName).ByField)
            {
                list.ForEach(v => violations.Add(field, v.Code, v.ConstraintAttributes));
            }

            tenantDisplayName = Optional(input.TenantDisplayName) ?? tenantName;
            TooLong(violations, Fields.TenantDisplayName, Optional(input.TenantDisplayName), MaxNameLength);
        }

        var email = input.Email?.Trim() ?? "";
        if (email.Length == 0)
        {
            violations.Add(Fields.Email, ViolationCodes.Required);
        }
        else if (email.Length > MaxNameLength)
        {
            violations.Add(Fields.Email, ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = MaxNameLength });
        }
        else if (!IsEmail(email))
        {
            violations.Add(Fields.Email, ViolationCodes.InvalidFormat);
        }
        else if (allowedDomains.Count > 0 && !allowedDomains.Contains(Normalize.Key(email[(email.LastIndexOf('@') + 1)..])))
        {
            violations.Add(Fields.Email, ViolationCodes.InvalidValue, new Dictionary<string, object>
            {
                ["reason"] = DomainNotAllowed,
                ["allowedDomains"] = allowedDomains,
            });
        }

        var password = string.IsNullOrEmpty(input.Password) ? null : input.Password;
        if (password is null)
        {
            if (schema.PasswordRequired)
            {
                violations.Add(Fields.Password, ViolationCodes.Required);
            }
        }
        else
        {
            foreach (var code in passwordPolicy.Check(password))
            {
                violations.Add(Fields.Password, code, code == ViolationCodes.TooShort
                    ? new Dictionary<string, object> { ["minLength"] = Math.Clamp(passwordPolicy.MinimumLength, 8, 64) }
                    : null);
            }

            // The account store caps passwords at 64 characters whatever the policy says.
            if (password.Length > 64 && !violations.Has(Fields.Password, ViolationCodes.TooLong))
            {
                violations.Add(Fields.Password, ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = 64 });
            }
        }

        var profile = UserProfileRules.Validate(
            violations,
            new ProfileInput(input.FullName, input.GivenName, input.FamilyName, input.PhoneNumber, input.Birthdate, input.Username),
            schema,
            today);

        if (input.State is { Length: > MaxStateLength })
        {
            violations.Add(Fields.State, ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = MaxStateLength });
        }

        return violations.IsEmpty
            ? (new SignupValues(tenantName, tenantDisplayName, email, password, profile), violations)
            : (null, violations);
    }

    private static string? Optional(string? value) => UserProfileRules.Trimmed(value);

    private static void TooLong(ConstraintViolations violations, string field, string? value, int max)
    {
        if (value is not null && value.Length > max)
        {
            violations.Add(field, ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = max });
        }
    }

    private static bool IsEmail(string value) =>
        MailAddress.TryCreate(value, out var address) && address.Address == value && value.Contains('.', StringComparison.Ordinal);
}
