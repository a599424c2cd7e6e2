namespace Lanyard.Server.Features.Tenants.Deletion;

/// <summary>Log events of tenant deletion (EventIds 7560–7569). Ids and counts only.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 7560, Level = LogLevel.Information, Message = "Deleting the rows of tenant {TenantId} of application {ApplicationId}")]
    public static partial void DeletionStarted(ILogger logger, string tenantId, string applicationId);

    [LoggerMessage(EventId = 7561, Level = LogLevel.Information, Message = "Tenant {TenantId} deleted with {Rows} rows")]
    public static partial void TenantDeleted(ILogger logger, string tenantId, long rows);

    [LoggerMessage(EventId = 7562, Level = LogLevel.Error, Message = "Deleting tenant {TenantId} failed ({ErrorType}); it stays DELETE_IN_PROGRESS and is retried at the next poll")]
    public static partial void DeletionFailed(ILogger logger, string tenantId, string errorType);

    [LoggerMessage(EventId = 7563, Level = LogLevel.Warning, Message = "Tenants being deleted could not be read ({ErrorType}); retrying at the next poll")]
    public static partial void DeletionUnavailable(ILogger logger, string errorType);
}
