using Lanyard.Server.Common;
using Lanyard.Server.Persistence;

namespace Lanyard.Server.Features.Roles;

/// <summary>
/// Where a role's (or permission group's) permissions apply. The three predefined boundaries exist once
/// per application; custom ones list tenants to include or exclude (at most ten, as Wristband has it).
/// </summary>
internal sealed class PermissionBoundary : IApplicationOwned, IVersioned
{
    public const int MaxTenants = 10;

    public required string Id { get; set; }
    public string ApplicationId { get; set; } = "";

    /// <summary><c>predefined:application|tenant|self</c>, or <c>app:{app}:{name}</c> for a custom boundary.</summary>
    public required string Name { get; set; }

    public required string DisplayName { get; set; }
    public string? Description { get; set; }
    public PermissionBoundaryType Type { get; set; }

    /// <summary>For <see cref="PermissionBoundaryType.Predefined"/> only: which predefined reach.</summary>
    public PredefinedBoundary? Value { get; set; }

    /// <summary>Tenant ids of an inclusion or exclusion list; empty otherwise.</summary>
    public List<string> ResourceList { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }

    public static string PredefinedName(PredefinedBoundary value) => "predefined:" + WireName<PredefinedBoundary>.Of(value).ToLowerInvariant();
}

internal enum PermissionBoundaryType
{
    Predefined,
    TenantInclusionList,
    TenantExclusionList,
}

internal enum PredefinedBoundary
{
    Application,
    Tenant,
    Self,
}

/// <summary>A named set of permissions with one boundary; roles hold groups as well as single permissions.</summary>
internal sealed class PermissionGroup : IApplicationOwned, IVersioned
{
    public required string Id { get; set; }
    public string ApplicationId { get; set; } = "";

    /// <summary><c>app:{app}:{name}</c>; unique per application.</summary>
    public required string Name { get; set; }

    public required string DisplayName { get; set; }
    public string? Description { get; set; }

    /// <summary>Null: the holder's natural boundary (see <see cref="ApiAuthorization.ApiCaller"/>).</summary>
    public string? PermissionBoundaryId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }
}

internal sealed class PermissionGroupPermission : IApplicationOwned
{
    public string ApplicationId { get; set; } = "";
    public required string PermissionGroupId { get; set; }
    public required string PermissionId { get; set; }
}

internal sealed class RolePermissionGroup : IApplicationOwned
{
    public string ApplicationId { get; set; } = "";
    public required string RoleId { get; set; }
    public required string PermissionGroupId { get; set; }
}
