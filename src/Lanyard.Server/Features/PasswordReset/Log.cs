namespace Lanyard.Server.Features.PasswordReset;

/// <summary>Log events of the password workflows (EventIds 7100–7199). Ids only: never codes, passwords or addresses.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "Password reset email queued in tenant {TenantId} for user {UserId}")]
    public static partial void ResetEmailQueued(ILogger logger, string tenantId, string userId);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Information, Message = "Password reset requested in tenant {TenantId} for no eligible account; nothing sent")]
    public static partial void ResetRequestIgnored(ILogger logger, string tenantId);

    [LoggerMessage(EventId = 7103, Level = LogLevel.Warning, Message = "Password reset email dropped in tenant {TenantId}: over the per-account limit")]
    public static partial void ResetEmailThrottled(ILogger logger, string tenantId);

    [LoggerMessage(EventId = 7104, Level = LogLevel.Warning, Message = "Password reset requests refused: over the per-address limit in application {ApplicationId}")]
    public static partial void AddressThrottled(ILogger logger, string applicationId);

    [LoggerMessage(EventId = 7105, Level = LogLevel.Information, Message = "Password reset completed in tenant {TenantId} for user {UserId}")]
    public static partial void ResetCompleted(ILogger logger, string tenantId, string userId);

    [LoggerMessage(EventId = 7106, Level = LogLevel.Information, Message = "Invalid or expired password reset code presented on application {ApplicationId}")]
    public static partial void InvalidResetCode(ILogger logger, string applicationId);

    [LoggerMessage(EventId = 7107, Level = LogLevel.Information, Message = "Password changed in tenant {TenantId} for user {UserId}")]
    public static partial void PasswordChanged(ILogger logger, string tenantId, string userId);

    [LoggerMessage(EventId = 7108, Level = LogLevel.Warning, Message = "Change password refused in tenant {TenantId} for user {UserId}: wrong current password ({Reason})")]
    public static partial void ChangePasswordRefused(ILogger logger, string tenantId, string userId, string reason);
}
