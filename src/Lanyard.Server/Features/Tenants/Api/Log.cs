namespace Lanyard.Server.Features.Tenants.Api;

/// <summary>Log events of the tenant management APIs (EventIds 7550–7599). Ids only.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 7550, Level = LogLevel.Debug, Message = "Tenants of application {ApplicationId} listed by {CallerId}: {Returned} of {Total}")]
    public static partial void TenantsListed(ILogger logger, string applicationId, string callerId, int returned, long total);
}
