namespace Lanyard.Server.Features.Tenants.Api;

/// <summary>Log events of the tenant management APIs (EventIds 7550–7559). Ids only.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 7550, Level = LogLevel.Debug, Message = "Tenants of application {ApplicationId} listed by {CallerId}: {Returned} of {Total}")]
    public static partial void TenantsListed(ILogger logger, string applicationId, string callerId, int returned, long total);

    [LoggerMessage(EventId = 7551, Level = LogLevel.Information, Message = "Tenant {TenantId} created through the API by {CallerKind} {CallerId}")]
    public static partial void TenantCreatedByApi(ILogger logger, string tenantId, string callerKind, string callerId);

    [LoggerMessage(EventId = 7552, Level = LogLevel.Information, Message = "Tenant {TenantId} updated to version {Version} by {CallerKind} {CallerId}")]
    public static partial void TenantUpdated(ILogger logger, string tenantId, long version, string callerKind, string callerId);

    [LoggerMessage(EventId = 7553, Level = LogLevel.Information, Message = "Tenant {TenantId} marked for deletion by {CallerKind} {CallerId}; its tokens and sessions are revoked")]
    public static partial void TenantDeletionRequested(ILogger logger, string tenantId, string callerKind, string callerId);
}
