using System.Text.Json;
using System.Text.Json.Nodes;
using Lanyard.Server.Common;
using Lanyard.Server.Common.Api;

namespace Lanyard.Server.Features.Roles;

/// <summary>A permission boundary as the API shows it. <c>value</c> only on predefined ones; <c>resourceList</c> holds tenant ids.</summary>
internal sealed record PermissionBoundaryJson(
    string Id,
    string ApplicationId,
    string Name,
    string DisplayName,
    string? Description,
    string Type,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Value,
    IReadOnlyList<string> ResourceList,
    string OwnerType,
    string OwnerId,
    RbacMetadata Metadata)
{
    public static PermissionBoundaryJson From(PermissionBoundary boundary) => new(
        boundary.Id, boundary.ApplicationId, boundary.Name, boundary.DisplayName, boundary.Description,
        WireName<PermissionBoundaryType>.Of(boundary.Type), boundary.Value is { } value ? WireName<PredefinedBoundary>.Of(value) : null,
        boundary.ResourceList, RoleOwner.Application, boundary.ApplicationId,
        new RbacMetadata(boundary.Version, boundary.CreatedAt, boundary.UpdatedAt));
}

/// <summary>A permission group as the API shows it.</summary>
internal sealed record PermissionGroupJson(
    string Id,
    string ApplicationId,
    string Name,
    string DisplayName,
    string? Description,
    string? PermissionBoundaryId,
    string OwnerType,
    string OwnerId,
    RbacMetadata Metadata)
{
    public static PermissionGroupJson From(PermissionGroup group) => new(
        group.Id, group.ApplicationId, group.Name, group.DisplayName, group.Description, group.PermissionBoundaryId,
        RoleOwner.Application, group.ApplicationId, new RbacMetadata(group.Version, group.CreatedAt, group.UpdatedAt));
}

internal sealed record CreatePermissionBoundaryRequest(
    string? Name, string? DisplayName, string? Description, string? Type, IReadOnlyList<string>? ResourceList, string? OwnerType, string? OwnerId);

internal sealed record CreatePermissionGroupRequest(string? Name, string? DisplayName, string? Description, string? PermissionBoundaryId, string? OwnerType, string? OwnerId);

internal sealed record AssignPermissionGroupsRequest(IReadOnlyList<string>? PermissionGroupIds);

/// <summary>The documented body of <c>PATCH /api/v1/roles/{id}</c>: a JSON Merge Patch; <c>null</c> clears a member.</summary>
internal sealed record PatchRoleRequest(string? DisplayName, string? Description, string? PermissionBoundaryId);

internal sealed record ReplaceRolesRequest(IReadOnlyList<string>? RoleIds);

internal sealed record ResolveAssignedRolesRequest(IReadOnlyList<string>? UserIds);

internal sealed record AssignedRolesItem(string UserId, IReadOnlyList<RoleJson> Roles);

internal sealed record ResolveFailure(string Code, string Message, int Index, string? UserId);

internal sealed record AssignedRolesAnswer(IReadOnlyList<AssignedRolesItem> Items, IReadOnlyList<ResolveFailure> Failures);

internal sealed record AssignableRolesAnswer(IReadOnlyList<RoleJson> Items, int TotalResults);

/// <summary>The allow-lists of the RBAC list endpoints, and the JSON of one listed item.</summary>
internal static class RbacLists
{
    public static ApiAttributes<Role> Roles { get; } = new ApiAttributes<Role>(r => r.Id)
        .String("id", r => r.Id)
        .String("name", r => r.Name, sort: true)
        .String("displayName", r => r.DisplayName, sort: true)
        .Enum("type", r => r.Type)
        .Time("creationTime", r => r.CreatedAt, sort: true);

    public static ApiAttributes<Permission> Permissions { get; } = new ApiAttributes<Permission>(p => p.Id)
        .String("id", p => p.Id)
        .String("value", p => p.Value, sort: true)
        .Enum("type", p => p.Type)
        .Time("creationTime", p => p.CreatedAt, sort: true);

    public static ApiAttributes<PermissionGroup> Groups { get; } = new ApiAttributes<PermissionGroup>(g => g.Id)
        .String("id", g => g.Id)
        .String("name", g => g.Name, sort: true)
        .String("displayName", g => g.DisplayName, sort: true)
        .Time("creationTime", g => g.CreatedAt, sort: true);

    public static ApiAttributes<PermissionBoundary> Boundaries { get; } = new ApiAttributes<PermissionBoundary>(b => b.Id)
        .String("id", b => b.Id)
        .String("name", b => b.Name, sort: true)
        .String("displayName", b => b.DisplayName, sort: true)
        .Enum("type", b => b.Type)
        .Time("creationTime", b => b.CreatedAt, sort: true);

    /// <summary>The item as a JSON object, so the list's <c>fields=</c> projection can apply to it.</summary>
    public static JsonObject Node<T>(T item) => (JsonObject)JsonSerializer.SerializeToNode(item, JsonSerializerOptions.Web)!;
}
