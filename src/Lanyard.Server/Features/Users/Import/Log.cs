namespace Lanyard.Server.Features.Users.Import;

/// <summary>Log events of user import and export (EventIds 7700–7749). Ids and counts only: never a row's values.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 7700, Level = LogLevel.Information, Message = "Import into tenant {TenantId} by {CallerId} finished: {Rows} rows, {Created} created, {Updated} updated, {Unchanged} unchanged, {Failed} failed")]
    public static partial void ImportFinished(ILogger logger, string tenantId, string callerId, long rows, long created, long updated, long unchanged, long failed);

    [LoggerMessage(EventId = 7701, Level = LogLevel.Warning, Message = "Import into tenant {TenantId} stopped early: {Reason}")]
    public static partial void ImportAborted(ILogger logger, string tenantId, string reason);

    [LoggerMessage(EventId = 7702, Level = LogLevel.Information, Message = "An import batch of {Rows} rows into tenant {TenantId} met a concurrent writer; its rows were written one by one")]
    public static partial void BatchRetriedRowByRow(ILogger logger, string tenantId, int rows);

    [LoggerMessage(EventId = 7703, Level = LogLevel.Information, Message = "Import into tenant {TenantId} refused: {Reason}")]
    public static partial void ImportRefused(ILogger logger, string tenantId, string reason);

    [LoggerMessage(EventId = 7710, Level = LogLevel.Information, Message = "Export of {Users} users of {Tenants} tenant(s) finished")]
    public static partial void ExportFinished(ILogger logger, long users, int tenants);
}
