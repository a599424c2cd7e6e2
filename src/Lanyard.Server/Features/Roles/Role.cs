using Lanyard.Server.Persistence;

namespace Lanyard.Server.Features.Roles;

/// <summary>
/// A named set of permissions. Application roles are named <c>app:{app}:{role}</c> and visible to every
/// tenant; tenant roles (<see cref="TenantId"/> set) are named <c>tnt:{tenant}:{role}</c>.
/// </summary>
internal sealed class Role : IApplicationOrTenantOwned, IVersioned
{
    public required string Id { get; set; }
    public string ApplicationId { get; set; } = "";
    public string? TenantId { get; set; }

    /// <summary>1–40 characters after the owner prefix; unique per application.</summary>
    public required string Name { get; set; }

    public required string DisplayName { get; set; }
    public string? Description { get; set; }
    public RbacType Type { get; set; } = RbacType.Custom;

    /// <summary>Where the role's own permissions apply; null: the holder's natural boundary (see <see cref="ApiAuthorization.ApiCaller"/>).</summary>
    public string? PermissionBoundaryId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }
}

/// <summary>A capability string such as <c>user:read</c> or <c>password-reset:execute</c>.</summary>
internal sealed class Permission : IApplicationOwned
{
    public required string Id { get; set; }
    public string ApplicationId { get; set; } = "";

    /// <summary>1–200 characters, unique per application.</summary>
    public required string Value { get; set; }

    public string? Description { get; set; }
    public RbacType Type { get; set; } = RbacType.Custom;
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class RolePermission : IApplicationOwned
{
    public string ApplicationId { get; set; } = "";
    public required string RoleId { get; set; }
    public required string PermissionId { get; set; }
}

/// <summary>A role held by a user. Tenant-owned: a user's roles are read only in its tenant's scope.</summary>
internal sealed class UserRole : ITenantOwned
{
    public string TenantId { get; set; } = "";
    public required string UserId { get; set; }
    public required string RoleId { get; set; }
}

/// <summary>A role held by a machine-to-machine client.</summary>
internal sealed class ClientRole : IApplicationOwned
{
    public string ApplicationId { get; set; } = "";
    public required string ClientId { get; set; }
    public required string RoleId { get; set; }
}

internal enum RbacType
{
    Predefined,
    Custom,
}
