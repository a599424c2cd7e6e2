namespace Lanyard.Server.Features.Roles;

/// <summary>Log events of roles and permissions (EventIds 7600–7699). Ids only.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 7601, Level = LogLevel.Information, Message = "Role {RoleId} created (owner {OwnerType} {OwnerId}) by {CallerKind} {CallerId}")]
    public static partial void RoleCreated(ILogger logger, string roleId, string ownerType, string ownerId, string callerKind, string callerId);

    [LoggerMessage(EventId = 7602, Level = LogLevel.Information, Message = "Role {RoleId} deleted with its assignments by {CallerKind} {CallerId}")]
    public static partial void RoleDeleted(ILogger logger, string roleId, string callerKind, string callerId);

    [LoggerMessage(EventId = 7603, Level = LogLevel.Information, Message = "Permission {PermissionId} created by {CallerKind} {CallerId}")]
    public static partial void PermissionCreated(ILogger logger, string permissionId, string callerKind, string callerId);

    [LoggerMessage(EventId = 7604, Level = LogLevel.Information, Message = "{Count} permissions assigned to role {RoleId} by {CallerKind} {CallerId}")]
    public static partial void PermissionsAssigned(ILogger logger, int count, string roleId, string callerKind, string callerId);

    [LoggerMessage(EventId = 7605, Level = LogLevel.Information, Message = "Roles of user {UserId} in tenant {TenantId} changed ({Change}: {Count}) by {CallerKind} {CallerId}")]
    public static partial void UserRolesChanged(ILogger logger, string userId, string tenantId, string change, int count, string callerKind, string callerId);

    [LoggerMessage(EventId = 7606, Level = LogLevel.Information, Message = "Roles of client {ClientId} changed ({Change}: {Count}) by {CallerKind} {CallerId}")]
    public static partial void ClientRolesChanged(ILogger logger, string clientId, string change, int count, string callerKind, string callerId);

    [LoggerMessage(EventId = 7607, Level = LogLevel.Warning, Message = "User {CallerId} of tenant {TenantId} refused: it tried to grant permissions it does not hold")]
    public static partial void EscalationRefused(ILogger logger, string callerId, string tenantId);

    [LoggerMessage(EventId = 7608, Level = LogLevel.Information, Message = "Permissions removed from role {RoleId} ({Count}) by {CallerKind} {CallerId}")]
    public static partial void PermissionsUnassigned(ILogger logger, int count, string roleId, string callerKind, string callerId);

    [LoggerMessage(EventId = 7609, Level = LogLevel.Information, Message = "Role {RoleId} updated by {CallerKind} {CallerId}")]
    public static partial void RoleUpdated(ILogger logger, string roleId, string callerKind, string callerId);

    [LoggerMessage(EventId = 7610, Level = LogLevel.Information, Message = "Permission groups of role {RoleId} changed ({Change}: {Count}) by {CallerKind} {CallerId}")]
    public static partial void RoleGroupsChanged(ILogger logger, string roleId, string change, int count, string callerKind, string callerId);

    [LoggerMessage(EventId = 7611, Level = LogLevel.Information, Message = "Permission boundary {BoundaryId} created by {CallerKind} {CallerId}")]
    public static partial void BoundaryCreated(ILogger logger, string boundaryId, string callerKind, string callerId);

    [LoggerMessage(EventId = 7612, Level = LogLevel.Information, Message = "Permission boundary {BoundaryId} deleted by {CallerKind} {CallerId}")]
    public static partial void BoundaryDeleted(ILogger logger, string boundaryId, string callerKind, string callerId);

    [LoggerMessage(EventId = 7613, Level = LogLevel.Information, Message = "Permission group {GroupId} created by {CallerKind} {CallerId}")]
    public static partial void GroupCreated(ILogger logger, string groupId, string callerKind, string callerId);

    [LoggerMessage(EventId = 7614, Level = LogLevel.Information, Message = "Permission group {GroupId} deleted with its role links by {CallerKind} {CallerId}")]
    public static partial void GroupDeleted(ILogger logger, string groupId, string callerKind, string callerId);

    [LoggerMessage(EventId = 7615, Level = LogLevel.Information, Message = "Permissions of group {GroupId} changed ({Change}: {Count}) by {CallerKind} {CallerId}")]
    public static partial void GroupPermissionsChanged(ILogger logger, string groupId, string change, int count, string callerKind, string callerId);
}
