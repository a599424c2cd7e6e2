using System.Text.RegularExpressions;
using Lanyard.Server.Common;

namespace Lanyard.Server.Features.Tenants;

/// <summary>
/// Rules for a tenant name. The name becomes a DNS label of the tenant's host
/// (<c>{name}-{domain}</c> or <c>{name}.{domain}</c>), so it follows the label rules: letters, digits
/// and inner hyphens only, 3–20 characters. Uniqueness is case-insensitive because host names are.
/// </summary>
internal static partial class TenantName
{
    public const int MinLength = 3;
    public const int MaxLength = 20;

    /// <summary>Names that would collide with Lanyard's own hosts or confuse users.</summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "www", "api", "app", "admin", "auth", "login", "logout", "signup", "static", "assets", "mail",
    };

    public static ConstraintViolations Validate(string? name, string field = "name")
    {
        var violations = new ConstraintViolations();
        if (string.IsNullOrWhiteSpace(name))
        {
            return violations.Add(field, ViolationCodes.Required);
        }

        if (name.Length < MinLength)
        {
            violations.Add(field, ViolationCodes.TooShort, new Dictionary<string, object> { ["minLength"] = MinLength });
        }
        else if (name.Length > MaxLength)
        {
            violations.Add(field, ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = MaxLength });
        }
        else if (!LabelPattern().IsMatch(name))
        {
            violations.Add(field, ViolationCodes.InvalidFormat, new Dictionary<string, object>
            {
                ["pattern"] = "letters, digits and hyphens; starts and ends with a letter or digit",
            });
        }
        else if (Reserved.Contains(Normalize.Key(name)))
        {
            violations.Add(field, ViolationCodes.InvalidValue, new Dictionary<string, object> { ["reason"] = "reserved" });
        }

        return violations;
    }

    [GeneratedRegex("^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelPattern();
}
