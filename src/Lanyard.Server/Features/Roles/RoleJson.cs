using System.Text.Json.Serialization;
using Lanyard.Server.Common;

namespace Lanyard.Server.Features.Roles;

/// <summary>Wristband's <c>metadata</c> block of a role.</summary>
internal sealed record RbacMetadata(long Version, DateTimeOffset CreationTime, DateTimeOffset LastModifiedTime);

/// <summary>
/// A role as the API shows it. <c>tenantId</c> only on tenant roles; <c>ownerId</c> is the tenant's or the
/// application's id; <c>permissionBoundaryId</c> null means the holder's natural reach.
/// </summary>
internal sealed record RoleJson(
    string Id,
    string ApplicationId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TenantId,
    string Name,
    string DisplayName,
    string? Description,
    string Type,
    string OwnerType,
    string OwnerId,
    string? PermissionBoundaryId,
    RbacMetadata Metadata)
{
    public static RoleJson From(Role role) => new(
        role.Id, role.ApplicationId, role.TenantId, role.Name, role.DisplayName, role.Description, WireName<RbacType>.Of(role.Type),
        role.TenantId is null ? RoleOwner.Application : RoleOwner.Tenant, role.TenantId ?? role.ApplicationId, role.PermissionBoundaryId,
        new RbacMetadata(role.Version, role.CreatedAt, role.UpdatedAt));
}

internal sealed record PermissionJson(string Id, string ApplicationId, string Value, string? Description, string Type)
{
    public static PermissionJson From(Permission permission) =>
        new(permission.Id, permission.ApplicationId, permission.Value, permission.Description, WireName<RbacType>.Of(permission.Type));
}

/// <summary>An offset page in Wristband's envelope.</summary>
internal sealed record RolePage(int TotalResults, int StartIndex, int ItemsPerPage, IReadOnlyList<RoleJson> Items);

internal sealed record CreateRoleRequest(string? Name, string? DisplayName, string? Description, string? OwnerType, string? OwnerId);

internal sealed record CreatePermissionRequest(string? Value, string? Description);

internal sealed record AssignPermissionsRequest(IReadOnlyList<string>? PermissionIds);

internal sealed record AssignRolesRequest(IReadOnlyList<string>? RoleIds);

internal sealed record PermissionInfoItem(string Value);

internal sealed record PermissionInfo(IReadOnlyList<PermissionInfoItem> Items, int TotalResults);

internal static class RoleOwner
{
    public const string Application = "APPLICATION";
    public const string Tenant = "TENANT";
}

/// <summary>
/// Wristband's naming and size rules. A role's name is given without its owner prefix and stored with it
/// (<c>app:{application}:{name}</c> or <c>tnt:{tenant}:{name}</c>), so two tenants may each have an
/// <c>admin</c> role while the stored names stay unique per application.
/// </summary>
internal static class RbacRules
{
    public const int NameMaxLength = 40;
    public const int DisplayNameMaxLength = 60;
    public const int DescriptionMaxLength = 500;
    public const int PermissionValueMaxLength = 200;

    /// <summary>At most this many ids in one assign or unassign request, and values in one permission-info question.</summary>
    public const int MaxIdsPerRequest = 100;

    public static string ApplicationPrefix(string applicationName) => $"app:{applicationName}:";

    public static string TenantPrefix(string tenantName) => $"tnt:{tenantName}:";

    public static void CheckName(string? name, ConstraintViolations violations)
    {
        if (string.IsNullOrEmpty(name))
        {
            violations.Add("name", ViolationCodes.Required);
        }
        else if (name.Length > NameMaxLength)
        {
            violations.Add("name", ViolationCodes.TooLong, MaxLength(NameMaxLength));
        }
        else if (!name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_'))
        {
            violations.Add("name", ViolationCodes.InvalidFormat);
        }
    }

    public static void CheckText(string field, string? value, int maxLength, bool required, ConstraintViolations violations)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                violations.Add(field, ViolationCodes.Required);
            }
        }
        else if (value.Length > maxLength)
        {
            violations.Add(field, ViolationCodes.TooLong, MaxLength(maxLength));
        }
    }

    /// <summary>The distinct, non-empty ids of an assign request; violations when missing, empty or too many.</summary>
    public static List<string>? Ids(string field, IReadOnlyList<string>? ids, ConstraintViolations violations)
    {
        if (ids is null || ids.Count == 0)
        {
            violations.Add(field, ViolationCodes.Required);
            return null;
        }

        if (ids.Count > MaxIdsPerRequest)
        {
            violations.Add(field, ViolationCodes.TooLong, new Dictionary<string, object> { ["maxItems"] = MaxIdsPerRequest });
            return null;
        }

        if (ids.Any(id => string.IsNullOrWhiteSpace(id) || id.Length > 26))
        {
            violations.Add(field, ViolationCodes.InvalidValue);
            return null;
        }

        return [.. ids.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Wristband's optional <c>ownerType</c>/<c>ownerId</c> of application-level objects: when given, they must name this application.</summary>
    public static void CheckApplicationOwner(string? ownerType, string? ownerId, string applicationId, ConstraintViolations violations)
    {
        if (ownerType is not null && ownerType != RoleOwner.Application)
        {
            violations.Add("ownerType", ViolationCodes.InvalidValue);
        }

        if (ownerId is not null && !string.Equals(ownerId, applicationId, StringComparison.Ordinal))
        {
            violations.Add("ownerId", ViolationCodes.InvalidValue);
        }
    }

    private static Dictionary<string, object> MaxLength(int value) => new() { ["maxLength"] = value };
}
