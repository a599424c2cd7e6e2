namespace Lanyard.Server.Features.Users.Api;

/// <summary>Log events of the user management API (EventIds 7580–7599). Ids and counts only, never a field's value.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 7580, Level = LogLevel.Information, Message = "User {UserId} created in tenant {TenantId} through the API by {CallerKind} {CallerId}")]
    public static partial void UserCreatedByApi(ILogger logger, string userId, string tenantId, string callerKind, string callerId);

    [LoggerMessage(EventId = 7581, Level = LogLevel.Information, Message = "User {UserId} updated to version {Version} by {CallerKind} {CallerId}")]
    public static partial void UserUpdated(ILogger logger, string userId, long version, string callerKind, string callerId);

    [LoggerMessage(EventId = 7582, Level = LogLevel.Information, Message = "User {UserId} of tenant {TenantId} deleted with {Rows} rows by {CallerKind} {CallerId}")]
    public static partial void UserDeleted(ILogger logger, string userId, string tenantId, int rows, string callerKind, string callerId);

    [LoggerMessage(EventId = 7583, Level = LogLevel.Information, Message = "Sessions and tokens of user {UserId} of tenant {TenantId} revoked by {CallerKind} {CallerId}")]
    public static partial void SessionsRevoked(ILogger logger, string userId, string tenantId, string callerKind, string callerId);
}
