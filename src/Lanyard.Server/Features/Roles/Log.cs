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
}
