namespace Lanyard.Server.Features.Applications.Api;

/// <summary>Log events of the application management API (EventIds 7570–7579). Ids only.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 7570, Level = LogLevel.Information, Message = "Application {ApplicationId} updated to version {Version} by {CallerKind} {CallerId}")]
    public static partial void ApplicationUpdated(ILogger logger, string applicationId, long version, string callerKind, string callerId);
}
